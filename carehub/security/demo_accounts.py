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


@dataclass(frozen=True, slots=True)
class DemoAccount:
    """One demo account; ``password`` only on the run that created it."""

    username: str
    role: str
    password: str | None


def ensure_demo_accounts(accounts: Accounts, base: str) -> list[DemoAccount]:
    """Create the missing demo users and the demo app client (redirects under ``base``)."""
    out: list[DemoAccount] = []
    for username, role_name, display in DEMO_USERS:
        if accounts.user(username) is None:
            password = generate_password()
            accounts.add_user(username, password, role_name, display=display)
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
