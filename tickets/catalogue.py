"""The guide's services and MPS applications, created after every migrate (and after a
test database flush). Existing entries are never changed: the help desk edits them."""

from __future__ import annotations

SERVICES = [
    ("field-service", "Demande d’intervention sur site", "Submit a Field Service Request", True, False),
    (
        "non-standard-consumable",
        "Consommable non standard",
        "Request a Non Standard Consumable",
        False,
        False,
    ),
    ("mps-application-support", "Assistance de l’application MPS", "(MPS) Application Support", False, True),
    (
        "remove-device",
        "Retirer un périphérique du contrat MPS",
        "Remove a device from your MPS contract",
        True,
        False,
    ),
    ("equipment-change", "Demande de modification d’équipement", "Equipment change request", True, False),
    ("physical-move", "Demande de déplacement physique d’équipement", "Physical move request", True, False),
]
# Application categories: (French name, English name) → the applications (product names).
APPLICATIONS = {
    ("Contenu et stockage", "Content & Storage"): ["Docushare"],
    ("Contrôle des coûts et des accès", "Cost Control & Access"): ["Cirrato", "Equitrac", "Safecom"],
    ("Gestion documentaire", "Document Management"): ["NSI Autostore"],
    ("Applications cloud MPS", "MPS Cloud Applications"): ["Mobile Print"],
    ("Numérisation et télécopie", "Scanning & Faxing"): [
        "eCopy ShareScan",
        "iXWare",
        "RightFax",
        "ScanFlowStore",
    ],
}


def catalogue_seed(**_kwargs) -> None:
    from tickets.models import Application, ApplicationCategory, ServiceType

    if ServiceType.objects.exists():
        return
    for order, (code, fr, en, device, mps) in enumerate(SERVICES):
        ServiceType.objects.get_or_create(
            code=code,
            defaults={
                "name": fr,
                "name_en": en,
                "requires_device": device,
                "is_application_support": mps,
                "order": order,
            },
        )
    for order, ((fr, en), names) in enumerate(APPLICATIONS.items()):
        cat, _ = ApplicationCategory.objects.get_or_create(name=fr, defaults={"name_en": en, "order": order})
        for name in names:
            Application.objects.get_or_create(category=cat, name=name)
