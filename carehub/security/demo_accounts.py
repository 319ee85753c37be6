"""The demo's staff accounts and app client, created on the first ``carehub demo`` run.

http://hl7.org/fhir/smart-app-launch/app-launch.html

Passwords are generated at random on first run, printed once and stored only
as Argon2id hashes; later runs list the accounts without passwords (reset one
with ``carehub users add`` under another name, or delete the security file).
"""

from __future__ import annotations

from dataclasses import dataclass

from carehub.security.accounts import Accounts
from carehub.security.passwords import generate_password
from carehub.storage.base import ResourceStore

#: (user name, role, display name)
DEMO_USERS = (
    ("bac.si", "clinician", "Bác sĩ Nguyễn Văn An"),
    ("dieu.duong", "nurse", "Điều dưỡng Trần Thị Bình"),
    ("duoc.si", "pharmacist", "Dược sĩ Lê Văn Cường"),
    ("quan.ly", "manager", "Quản lý Phạm Thị Dung"),
    ("nghien.cuu", "researcher", "Nghiên cứu viên Hoàng Văn Em"),
    ("bao.mat", "privacy_officer", "Cán bộ bảo mật Vũ Thị Giang"),
    ("admin", "admin", "Quản trị hệ thống"),
)
DEMO_CLIENT = "carehub-demo-app"
#: user name → id of the Practitioner the account acts as (clinical staff who consult)
DEMO_PRACTITIONERS = {"bac.si": "demo-bac-si", "dieu.duong": "demo-dieu-duong"}


def demo_practitioner(pid: str, display: str) -> dict[str, object]:
    """The Practitioner record of a demo staff account.

    >>> demo_practitioner("demo-bac-si", "Bác sĩ Nguyễn Văn An")["name"]
    [{'text': 'Bác sĩ Nguyễn Văn An'}]
    """
    return {
        "resourceType": "Practitioner",
        "id": pid,
        "active": True,
        "identifier": [{"system": "urn:carehub:demo-staff", "value": pid}],
        "name": [{"text": display}],
    }


@dataclass(frozen=True, slots=True)
class DemoAccount:
    """One demo account; ``password`` only on the run that created it."""

    username: str
    role: str
    password: str | None


def ensure_demo_accounts(
    accounts: Accounts, base: str, store: ResourceStore | None = None
) -> list[DemoAccount]:
    """Create the missing demo users and the demo app client (redirects under ``base``).

    With ``store``, the clinician and nurse accounts act as Practitioners of
    their own (:data:`DEMO_PRACTITIONERS`, stored when missing), so that the
    screens that need one (consultation schedule, messages) work for them.
    """
    out: list[DemoAccount] = []
    for username, role_name, display in DEMO_USERS:
        if accounts.user(username) is None:
            password = generate_password()
            pid = DEMO_PRACTITIONERS.get(username) if store is not None else None
            if store is not None and pid is not None:
                with store.session(write=True) as session:
                    if session.read("Practitioner", pid) is None:
                        session.put(demo_practitioner(pid, display))
            accounts.add_user(username, password, role_name, display=display,
                              fhir_user=f"Practitioner/{pid}" if pid else None)
            out.append(DemoAccount(username, role_name, password))
        else:
            out.append(DemoAccount(username, role_name, None))
    if accounts.client(DEMO_CLIENT) is None:
        accounts.add_client(
            DEMO_CLIENT, "CareHub demo app", "public",
            redirect_uris=(f"{base}/callback", "http://localhost:8080/callback"),
            scopes="openid fhirUser launch launch/patient offline_access online_access "
                   "patient/*.rs user/*.cruds carehub.cds carehub.ops carehub.audit",
        )
    return out
