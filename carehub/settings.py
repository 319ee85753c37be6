"""CareHub's configuration, declared once.

Every setting has a name, a default, a type and a help text. The table feeds
the CLI ``--help``, the README's configuration table and the docs-coverage
test; values are read from the environment once at start-up
(:func:`load_settings`) and never written back.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carehub.errors import Incorrect


def _bool(text: str) -> bool:
    """Parse a boolean setting.

    >>> _bool("yes"), _bool("0")
    (True, False)
    """
    low = text.strip().lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"not a boolean: {text!r}")


def _share(text: str) -> float:
    """Parse a non-negative share (a fraction, possibly above 1).

    >>> _share("0.2")
    0.2
    >>> _share("-1")
    Traceback (most recent call last):
    ...
    ValueError: not a share (0 or more): '-1'
    """
    value = float(text)
    if not value >= 0:
        raise ValueError(f"not a share (0 or more): {text!r}")
    return value


@dataclass(frozen=True, slots=True)
class Setting:
    """One configuration entry: environment variable ``name``, its default and meaning."""

    name: str
    default: str
    help: str
    cast: Callable[[str], Any] = str


SETTINGS: tuple[Setting, ...] = (
    Setting("CAREHUB_DATA_DIR", "./carehub-data", "Folder holding all CareHub state."),
    Setting(
        "CAREHUB_STORAGE",
        "sqlite",
        "FHIR store back-end: `sqlite` (embedded file in the data folder) or `postgres`.",
    ),
    Setting(
        "CAREHUB_SQLITE_PATH",
        "",
        "SQLite database file; empty means `<CAREHUB_DATA_DIR>/fhir.sqlite3`.",
    ),
    Setting(
        "CAREHUB_SQLITE_WAL_PAGES",
        "10000",
        "SQLite write-ahead log pages written before they are copied back into the "
        "database file (`wal_autocheckpoint`; 10,000 pages ≈ 40 MB). Fewer "
        "checkpoints make write-heavy loads (bulk import, HL7 v2) cheaper.",
        int,
    ),
    Setting(
        "CAREHUB_SQLITE_BACKGROUND_CHECKPOINTS",
        "true",
        "Copy the SQLite write-ahead log back into the database file from a thread of the "
        "store's own (a passive checkpoint every 0.25 s) instead of in the writer whose "
        "commit passes `CAREHUB_SQLITE_WAL_PAGES`; writers then checkpoint only as a "
        "backstop, at four times that.",
        _bool,
    ),
    Setting(
        "CAREHUB_POSTGRES_DSN",
        "",
        "libpq connection string for the PostgreSQL back-end, e.g. "
        "`postgresql://carehub@127.0.0.1/carehub`.",
    ),
    Setting("CAREHUB_HOST", "127.0.0.1", "Address `carehub serve` listens on."),
    Setting("CAREHUB_PORT", "8080", "Port `carehub serve` listens on.", int),
    Setting(
        "CAREHUB_BASE_URL",
        "",
        "Public base URL of the FHIR API (used in Bundle links); empty: derived from the request.",
    ),
    Setting("CAREHUB_PAGE_SIZE", "20", "Default search page size (`_count`).", int),
    Setting("CAREHUB_MAX_PAGE_SIZE", "1000", "Largest page size a client may ask for.", int),
    Setting(
        "CAREHUB_VALIDATE",
        "true",
        "Validate every written resource against the R4 StructureDefinitions.",
        _bool,
    ),
    Setting("CAREHUB_LOG_LEVEL", "info", "Log level for the server: debug, info, warning, error."),
    Setting(
        "CAREHUB_BULK_WORKERS",
        "2",
        "Bulk `$export`/`$import` jobs run at the same time; later ones wait queued. "
        "Job files live in `<CAREHUB_DATA_DIR>/bulk`.",
        int,
    ),
    Setting(
        "CAREHUB_IMPORT_DIR",
        "",
        "The only folder `$import` may read `file://` URLs from; empty means "
        "`<CAREHUB_DATA_DIR>/import`.",
    ),
    Setting(
        "CAREHUB_IMPORT_HTTP",
        "true",
        "Let `$import` fetch `http(s)://` input URLs (the server then makes requests "
        "that clients choose).",
        _bool,
    ),
    Setting(
        "CAREHUB_IMPORT_BATCH_SIZE",
        "1000",
        "NDJSON lines stored per transaction by `$import` and `carehub import`.",
        int,
    ),
    Setting(
        "CAREHUB_WAREHOUSE_ENGINE",
        "duckdb",
        "Engine that computes the warehouse views: `duckdb` (embedded) or `spark` (pyspark; "
        "see `CAREHUB_SPARK_MASTER`).",
    ),
    Setting(
        "CAREHUB_WAREHOUSE_PATH",
        "",
        "Warehouse DuckDB file; empty means `<CAREHUB_DATA_DIR>/warehouse/warehouse.duckdb`.",
    ),
    Setting(
        "CAREHUB_WAREHOUSE_PARQUET_DIR",
        "",
        "Folder of the warehouse's Parquet files (one folder per table); empty means "
        "`<CAREHUB_DATA_DIR>/warehouse/parquet`.",
    ),
    Setting(
        "CAREHUB_WAREHOUSE_COMPACT_SHARE",
        "0.2",
        "A refresh appends the changed rows to a table's Parquet folder as change files "
        "(read merged); once they would hold more than this share of the table's rows, it "
        "rewrites the table whole instead (0 rewrites on every refresh).",
        _share,
    ),
    Setting(
        "CAREHUB_WAREHOUSE_REPEAT_DEPTH",
        "10",
        "How many levels ViewDefinition `repeat` follows; deeper data fails the query "
        "rather than being cut.",
        int,
    ),
    Setting(
        "CAREHUB_SPARK_MASTER",
        "local[2]",
        "Spark master URL for the `spark` warehouse engine (`local[2]`, `spark://host:7077`...).",
    ),
    Setting(
        "CAREHUB_SPARK_SHUFFLE_PARTITIONS",
        "4",
        "`spark.sql.shuffle.partitions` of the warehouse's Spark session.",
        int,
    ),
    Setting(
        "CAREHUB_SPARK_DRIVER_MEMORY",
        "2g",
        "`spark.driver.memory` of the warehouse's Spark session (local masters).",
    ),
    # -- research extracts: de-identification (carehub/research/deid, carehub/research/extract) --
    Setting(
        "CAREHUB_RESEARCH_SECRET",
        "",
        "Secret each research project's pseudonym key is derived from (HMAC-SHA256 of the "
        "project id), so projects cannot be linked; extracts are refused while it is empty.",
    ),
    Setting(
        "CAREHUB_RESEARCH_POLICY",
        "default",
        "De-identification policy of research extracts: a shipped policy name (`default`, "
        "`year-dates`) or a YAML/JSON policy file.",
    ),
    Setting(
        "CAREHUB_FORECAST_JOBS",
        "1",
        "Processes `carehub ops forecast` fits statistical models with (statsforecast `n_jobs`).",
        int,
    ),
    Setting(
        "CAREHUB_SOF_TEST_SUITE",
        "../shared/conformance/sql-on-fhir-v2/tests",
        "Folder of the SQL-on-FHIR v2 test suite that `carehub warehouse conformance` runs.",
    ),
    Setting(
        "CAREHUB_WHO_CVD_CHART",
        "",
        "CSV of the WHO 2019 laboratory-based CVD risk chart cells (Kaptoge 2019), supplied by "
        "the hospital, in the format of `reference/who-cvd-2019/WHO_2019_Scores.csv`; the "
        "`who2019_cvd_chart_lab` calculator fails as unsupported while it is empty.",
    ),
    Setting(
        "CAREHUB_SCORE2_AP_REGION",
        "High",
        "SCORE2-Asia-Pacific risk region of the population (Low, Moderate, High, Very high); "
        "check Viet Nam's region in the SCORE2-AP country table before relying on it.",
    ),
    Setting(
        "CAREHUB_SCREENING_WRITEBACK",
        "true",
        "Whether `carehub screening run` writes Task, RiskAssessment and DetectedIssue "
        "resources back to the FHIR store.",
        _bool,
    ),
    Setting(
        "CAREHUB_OPS_INVENTORY_PATH",
        "",
        "Inventory ledger SQLite file of the supply reorder advice; empty means "
        "`<CAREHUB_DATA_DIR>/ops/inventory.sqlite`.",
    ),
    Setting(
        "CAREHUB_OPS_SERVICE_LEVELS",
        "V=0.99,E=0.95,N=0.90",
        "Cycle service level per VEN class (vital, essential, non-essential) used for "
        "safety stock in `carehub ops reorder`.",
    ),
    Setting(
        "CAREHUB_OPS_AMC_MONTHS",
        "6",
        "Months reviewed for the stock-out-adjusted average monthly consumption (AMC).",
        int,
    ),
    Setting(
        "CAREHUB_CDS_FHIR_FETCH",
        "true",
        "Let CDS Hooks services fetch data a client did not prefetch from the request's "
        "`fhirServer` (with its bearer token); off: such calls answer 412.",
        _bool,
    ),
    Setting(
        "CAREHUB_CDS_FHIR_TIMEOUT",
        "10",
        "Seconds a CDS Hooks service waits for each request to a client's FHIR server.",
        float,
    ),
    Setting(
        "CAREHUB_SELF_ASSESSMENT_BOOKING_URL",
        "/booking",
        "Where the patient self-assessment's advice sends people to book screening "
        "(the `nextStep` link of each result).",
    ),
    Setting(
        "CAREHUB_AUTH",
        "on",
        "Require SMART on FHIR access tokens on every non-public route; `off` (development "
        "only) is refused unless `CAREHUB_HOST` is a loopback address.",
        _bool,
    ),
    Setting(
        "CAREHUB_AUTH_ISSUER",
        "",
        "Issuer of an external OpenID Connect provider whose JWT access tokens are accepted "
        "besides CareHub's own; empty: CareHub is the only authorization server.",
    ),
    Setting(
        "CAREHUB_AUTH_JWKS",
        "",
        "The external issuer's JSON Web Key Set: a file path or an `https://` URL.",
    ),
    Setting(
        "CAREHUB_AUTH_AUDIENCE",
        "",
        "`aud` that external access tokens must carry; empty means the FHIR base URL "
        "(`CAREHUB_BASE_URL`).",
    ),
    Setting("CAREHUB_TOKEN_LIFETIME", "3600", "Seconds an access token is valid.", int),
    Setting(
        "CAREHUB_REFRESH_LIFETIME",
        "2592000",
        "Seconds a refresh token is valid (rotated on use).",
        int,
    ),
    Setting(
        "CAREHUB_BREAK_GLASS_MINUTES",
        "30",
        "Minutes an emergency (break-glass) access token is valid.",
        int,
    ),
    Setting(
        "CAREHUB_MAX_REQUEST_BYTES",
        "67108864",
        "Largest request body accepted (bigger ones get 413), `$import` uploads included.",
        int,
    ),
    Setting(
        "CAREHUB_RATE_LIMIT",
        "1200",
        "Requests per minute allowed per client (per address before sign-in); more get 429. "
        "0 turns the limit off.",
        int,
    ),
    Setting(
        "CAREHUB_CORS_ORIGINS",
        "",
        "Comma-separated browser origins allowed to call the API cross-origin; empty: none.",
    ),
    Setting(
        "CAREHUB_VN_FACILITY_CODE",
        "",
        "Health-insurance facility code (MA_CSKCB, 5 characters) written into the "
        "QĐ 130/4750 XML exports and sent to the appraisal portal.",
    ),
    Setting(
        "CAREHUB_VN_PROVINCE_CODE",
        "",
        "Province code of the facility (maTinh) sent with every file to the appraisal portal.",
    ),
    Setting(
        "CAREHUB_VN_HEAD_ID",
        "",
        "Social-insurance number of the facility's head or delegate (MA_TTDV) in the XML exports.",
    ),
    Setting(
        "CAREHUB_VN_TARIFF",
        "",
        "CSV price list (kind,code,bhyt_code,name,unit,price,group,pay_ratio,scope) that prices "
        "the XML2/XML3 cost lines of `carehub vn-insurance export`.",
    ),
    Setting(
        "CAREHUB_VN_PORTAL_URL",
        "",
        "Base URL of Viet Nam Social Security's appraisal portal web services "
        "(`carehub vn-insurance submit`); empty: submitting is refused.",
    ),
    Setting("CAREHUB_VN_PORTAL_USERNAME", "", "Account name of the facility on the portal."),
    Setting(
        "CAREHUB_VN_PORTAL_PASSWORD",
        "",
        "Password of that account (sent MD5-hashed, as the portal requires).",
    ),
    Setting(
        "CAREHUB_ICD10_VI_TITLES",
        "",
        "CSV (columns `code,title`) of the Vietnamese ICD-10 titles the hospital uses, served "
        "as `vi` designations by the terminology operations; empty: English (WHO) titles only.",
    ),
    # -- web application (carehub/web) --
    Setting(
        "CAREHUB_WEB_LANGUAGE",
        "vi",
        "Default language of the web application under `/app` (`vi` or `en`); users switch "
        "with the header link (a cookie) or `?lang=`.",
    ),
    Setting(
        "CAREHUB_WEB_PAGE_SIZE",
        "50",
        "Rows per page of the web application's screening worklists.",
        int,
    ),
    # -- operations dashboard (carehub/web/dashboard_config.py) --
    Setting(
        "CAREHUB_OPS_NURSE_RATIOS",
        "early=4,late=5,night=7",
        "Patients per nurse on each shift of the dashboard's roster view, as `shift=patients` "
        "pairs in shift order (e.g. `day=5,night=8`).",
    ),
    Setting(
        "CAREHUB_OPS_NURSE_FLOOR",
        "1",
        "Nurses always on duty on every shift of a ward, however few patients.",
        int,
    ),
    Setting(
        "CAREHUB_OPS_ROSTER_DAYS",
        "7",
        "Days shown in the dashboard's roster view (at most `CAREHUB_OPS_FORECAST_HORIZON`).",
        int,
    ),
    Setting(
        "CAREHUB_OPS_FORECAST_HORIZON",
        "14",
        "Days ahead the dashboard forecasts visits and ward census.",
        int,
    ),
    Setting(
        "CAREHUB_OPS_FORECAST_DEPARTMENTS",
        "3",
        "Busiest departments whose daily visits the dashboard forecasts (besides the hospital).",
        int,
    ),
    Setting(
        "CAREHUB_OPS_FORECAST_WARDS",
        "3",
        "Fullest wards whose midnight census the dashboard forecasts against bed capacity.",
        int,
    ),
    Setting(
        "CAREHUB_OPS_FORECAST_MODELS",
        "SeasonalNaive,AutoETS",
        "Candidate forecast models of the dashboard, comma-separated (SeasonalNaive, AutoETS, "
        "AutoARIMA, MSTL, AutoTheta...); the SeasonalNaive baseline is always included.",
    ),
    Setting(
        "CAREHUB_OPS_FORECAST_HISTORY_DAYS",
        "56",
        "Days of actuals drawn before the dashboard's forecasts.",
        int,
    ),
    # -- telemedicine (carehub/telemed) --
    Setting(
        "CAREHUB_TELEMED_JOIN_SECRET",
        "",
        "HMAC secret that signs video-room join tokens; empty: a random secret per server "
        "start (set it when several server processes share rooms' tokens).",
    ),
    Setting("CAREHUB_TELEMED_JOIN_SECONDS", "120", "Seconds a room join token is valid.", int),
    Setting(
        "CAREHUB_TELEMED_ROOM_SIZE",
        "4",
        "Most people in one video room (a full mesh: each sends its media to every other).",
        int,
    ),
    Setting(
        "CAREHUB_TELEMED_STUN_URLS",
        "",
        "Comma-separated STUN URLs given to browsers, e.g. `stun:turn.hospital.vn:3478`.",
    ),
    Setting(
        "CAREHUB_TELEMED_TURN_URLS",
        "",
        "Comma-separated TURN URLs, e.g. `turn:turn.hospital.vn:3478?transport=udp,"
        "turns:turn.hospital.vn:5349` (a coturn server in production).",
    ),
    Setting(
        "CAREHUB_TELEMED_TURN_SECRET",
        "",
        "The TURN server's shared secret (coturn `static-auth-secret` with `use-auth-secret`); "
        "set: each participant gets time-limited HMAC credentials.",
    ),
    Setting("CAREHUB_TELEMED_TURN_TTL", "3600", "Seconds TURN credentials stay valid.", int),
    Setting(
        "CAREHUB_TELEMED_REMINDER_HOURS",
        "24",
        "Appointments starting within this many hours get their reminder when reminders run.",
        int,
    ),
    Setting(
        "CAREHUB_TELEMED_SMS_URL",
        "",
        'SMS gateway endpoint; reminders are POSTed as JSON `{"to", "text"}`. Empty: no SMS.',
    ),
    Setting("CAREHUB_TELEMED_SMS_TOKEN", "", "Bearer token for the SMS gateway."),
    Setting(
        "CAREHUB_TELEMED_CHAT_URL",
        "",
        "Chat-app gateway endpoint (e.g. a Zalo OA bridge), same JSON as SMS. Empty: no chat.",
    ),
    Setting("CAREHUB_TELEMED_CHAT_TOKEN", "", "Bearer token for the chat gateway."),
    Setting("CAREHUB_TELEMED_SMTP_HOST", "", "SMTP server for e-mail reminders; empty: no e-mail."),
    Setting("CAREHUB_TELEMED_SMTP_PORT", "587", "SMTP port.", int),
    Setting("CAREHUB_TELEMED_SMTP_FROM", "", "Sender address of e-mail reminders."),
    Setting("CAREHUB_TELEMED_SMTP_USER", "", "SMTP user (STARTTLS and login when set)."),
    Setting("CAREHUB_TELEMED_SMTP_PASSWORD", "", "SMTP password."),
    # -- home monitoring (carehub/telemed/monitoring) --
    Setting(
        "CAREHUB_MONITORING_PROGRAMME",
        "general",
        "Programme whose alert thresholds apply to patients without a monitoring Goal "
        "(general, hypertension, diabetes, heart-failure, copd).",
    ),
    Setting(
        "CAREHUB_MONITORING_TREND_DAYS",
        "90",
        "Days of home readings shown in trends by default.",
        int,
    ),
    Setting(
        "CAREHUB_MONITORING_MAX_BATCH",
        "100",
        "Most readings one home-monitoring request may submit.",
        int,
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True, slots=True)
class Settings:
    """The values in force, read once at start-up."""

    values: Mapping[str, Any]

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    @property
    def data_dir(self) -> Path:
        """The folder that holds all state."""
        return Path(self.values["CAREHUB_DATA_DIR"])

    @property
    def sqlite_path(self) -> Path:
        """The SQLite database file."""
        explicit = self.values["CAREHUB_SQLITE_PATH"]
        return Path(explicit) if explicit else self.data_dir / "fhir.sqlite3"

    @property
    def bulk_dir(self) -> Path:
        """The folder of bulk job files (one sub-folder per job)."""
        return self.data_dir / "bulk"

    @property
    def import_dir(self) -> Path:
        """The folder ``$import`` may read ``file://`` URLs from."""
        explicit = self.values["CAREHUB_IMPORT_DIR"]
        return Path(explicit) if explicit else self.data_dir / "import"

    @property
    def warehouse_path(self) -> Path:
        """The warehouse DuckDB file."""
        explicit = self.values["CAREHUB_WAREHOUSE_PATH"]
        return Path(explicit) if explicit else self.data_dir / "warehouse" / "warehouse.duckdb"

    @property
    def warehouse_parquet_dir(self) -> Path:
        """The folder of the warehouse's Parquet files."""
        explicit = self.values["CAREHUB_WAREHOUSE_PARQUET_DIR"]
        return Path(explicit) if explicit else self.data_dir / "warehouse" / "parquet"


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Read every setting from ``environ`` (default ``os.environ``), cast and return them.

    Raises:
        Incorrect: a value cannot be cast to the setting's type.

    >>> load_settings({"CAREHUB_PORT": "9000"})["CAREHUB_PORT"]
    9000
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for s in SETTINGS:
        raw = env.get(s.name, s.default)
        try:
            values[s.name] = s.cast(raw)
        except ValueError as exc:
            raise Incorrect(f"{s.name}={raw!r} is not valid: {exc}") from exc
    for key, val in overrides.items():
        if key not in _BY_NAME:
            raise Incorrect(f"unknown setting {key}")
        values[key] = val
    return Settings(values)
