"""The demo world from the client guide's examples. Idempotent: running it twice changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from accounts import roles
from accounts.models import Account, Site, User
from accounts.otp import otp_device_ensure
from documents.models import ExternalLink

DEFAULT_DEMO_PASSWORD = "Demo-Fleet-2026"  # noqa: S105 -- documented demo password


@dataclass(frozen=True)
class DemoUser:
    email: str
    first_name: str
    last_name: str
    role: str | None  # None: help-desk staff
    account: str | None


DEMO_USERS = [
    DemoUser("manager@abc-cars.example", "Marta", "Martinez", roles.FLEET_MANAGER, "pursuit"),
    DemoUser("user@abc-cars.example", "Peter", "Norman", roles.USER, "pursuit"),
    DemoUser("user@other.example", "Olivia", "Other", roles.USER, "other"),
    DemoUser("helpdesk@fmp.example", "Hélène", "Desk", None, None),
]


@transaction.atomic
def demo_world_build(*, password: str) -> dict:
    """Create (or find) the demo accounts, site, users and links. Returns what exists."""
    abc, _ = Account.objects.get_or_create(name="ABC Cars", parent=None)
    pursuit, _ = Account.objects.get_or_create(name="ABC London Pursuit", parent=abc)
    other, _ = Account.objects.get_or_create(name="Other Industries", parent=None)
    xps, _ = Site.objects.get_or_create(
        account=pursuit,
        name="XPS Hosting Site",
        defaults={
            "country": "USA",
            "state": "NY",
            "city": "Webster",
            "postal_code": "14580",
            "street1": "800 Phillips Road",
            "building": "111",
            "floor": "1",
        },
    )
    other_site, _ = Site.objects.get_or_create(
        account=other,
        name="Other HQ",
        defaults={"country": "France", "city": "Lyon", "street1": "1 rue de la République"},
    )
    accounts = {"pursuit": pursuit, "other": other}
    sites = {"pursuit": xps, "other": other_site}
    users = {}
    otp_devices = {}
    for spec in DEMO_USERS:
        user = User.objects.filter(username=spec.email).first()
        if user is None:
            user = User(
                username=spec.email,
                email=spec.email,
                first_name=spec.first_name,
                last_name=spec.last_name,
                account=accounts.get(spec.account),
                default_site=sites.get(spec.account),
                is_staff=spec.role is None,
                is_superuser=spec.role is None,
            )
            user.set_password(password)
            user.save()
            if spec.role:
                user.groups.add(roles.role_group(spec.role))
        users[spec.email] = user
        if spec.role is None:  # staff log in with a second factor: the demo prints its secret
            otp_devices[spec.email] = otp_device_ensure(user=user)
    for order, (title, url) in enumerate(
        [
            ("Xerox support", "https://www.support.xerox.com/"),
            ("Print policy (intranet)", "https://intranet.abc-cars.example/print-policy"),
        ]
    ):
        link, created = ExternalLink.objects.get_or_create(
            title=title, defaults={"url": url, "order": order, "all_accounts": order == 0}
        )
        if created and order == 1:
            link.accounts.add(abc, pursuit)
    _demo_documents(abc, pursuit)
    return {
        "accounts": [abc, pursuit, other],
        "sites": [xps, other_site],
        "users": users,
        "otp_devices": otp_devices,
    }


def _demo_documents(abc, pursuit) -> None:
    from django.core.files.base import ContentFile

    from documents.models import Document

    if Document.objects.exists():
        return
    guide = Document(
        title="Guide client FMP",
        description="Première connexion, imprimantes, compteurs, commandes, demandes de service.",
        category="Guides",
        all_accounts=True,
        original_name="guide-client-fmp.pdf",
        content_type="application/pdf",
    )
    guide.file.save("guide-client-fmp.pdf", ContentFile(_tiny_pdf("FMP - Guide client")), save=False)
    guide.size = guide.file.size
    guide.save()
    contract = Document(
        title="ABC Cars - contrat MPS 2026",
        category="Contrats",
        original_name="contrat-abc-2026.pdf",
        content_type="application/pdf",
    )
    contract.file.save(
        "contrat-abc-2026.pdf", ContentFile(_tiny_pdf("ABC Cars - MPS contract 2026")), save=False
    )
    contract.size = contract.file.size
    contract.save()
    contract.accounts.add(abc, pursuit)


def _tiny_pdf(text: str) -> bytes:
    """A valid one-page PDF saying ``text`` (for the demo documents)."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer << /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
