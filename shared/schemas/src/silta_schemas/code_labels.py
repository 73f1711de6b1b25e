"""The labels of the code lists in Finnish, Swedish and English (`code_lists` serves them).

Each entry is `code: (fi, sv, en)`. The Finnish and Swedish words are those of the law and of
the field: the Social Welfare Act 1301/2014 (socialvårdslagen) §11 for the support needs, the
Act on Social Assistance 1412/1997 (lagen om utkomststöd), and Kela (FPA in Swedish). A code
is the wire value and never changes; a label may be corrected at any time.
"""

from typing import Final

Labels = tuple[str, str, str]
"""Finnish, Swedish, English."""

SUPPORT_NEED_LABELS: Final[dict[str, Labels]] = {
    "1": (
        "Jokapäiväisestä elämästä suoriutuminen",
        "Att klara av det dagliga livet",
        "Coping with everyday life",
    ),
    "2": ("Asuminen", "Boende", "Housing"),
    "3": ("Taloudellinen tuki", "Ekonomiskt stöd", "Financial support"),
    "4": (
        "Syrjäytymisen ehkäisy ja osallisuuden edistäminen",
        "Förebyggande av utslagning och främjande av delaktighet",
        "Preventing social exclusion and promoting inclusion",
    ),
    "5": (
        "Lähisuhde- ja perheväkivalta sekä muu väkivalta tai kaltoinkohtelu",
        "Våld i nära relationer och familjevåld samt annat våld eller annan illabehandling",
        "Intimate-partner and domestic violence and other violence or abuse",
    ),
    "6": ("Äkillinen kriisitilanne", "Akut krissituation", "Acute crisis"),
    "7": (
        "Lapsen tasapainoinen kehitys ja hyvinvointi",
        "Ett barns balanserade utveckling och välbefinnande",
        "A child's balanced development and wellbeing",
    ),
    "8": (
        "Päihteiden ongelmakäyttö, mielenterveysongelma, muu sairaus, vamma tai ikääntyminen",
        "Missbruk av rusmedel, psykisk ohälsa, annan sjukdom, funktionsnedsättning eller åldrande",
        "Substance abuse, mental health problems, other illness, disability or ageing",
    ),
    "9": (
        "Muu fyysinen, psyykkinen, sosiaalinen tai kognitiivinen toimintakyky",
        "Annan fysisk, psykisk, social eller kognitiv funktionsförmåga",
        "Other physical, mental, social or cognitive functioning",
    ),
    "10": (
        "Läheisten tuki",
        "Stöd till anhöriga och närstående",
        "Support for family members and close relatives",
    ),
}

TRIGGER_LABELS: Final[dict[str, Labels]] = {
    "cannot_manage_affairs_without_guardian": (
        "Ei kykene hoitamaan asioitaan, eikä hänellä ole edunvalvojaa",
        "Kan inte sköta sina angelägenheter och har ingen intressebevakare",
        "Cannot manage their affairs and has no guardian",
    ),
    "refuses_primary_benefits": (
        "Kieltäytyy hakemasta ensisijaisia etuuksia",
        "Vägrar ansöka om primära förmåner",
        "Refuses to apply for primary benefits",
    ),
    "prolonged_studies": (
        "Opinnot ovat pitkittyneet",
        "Studierna har dragit ut på tiden",
        "Studies are prolonged",
    ),
    "basic_amount_reduced": (
        "Perusosaa on alennettu",
        "Grunddelen har sänkts",
        "The basic amount is reduced",
    ),
    "immigrant_not_available_for_labour_market": (
        "Maahanmuuttaja ei ole työmarkkinoiden käytettävissä",
        "Invandrare som inte står till arbetsmarknadens förfogande",
        "An immigrant not available to the labour market",
    ),
    "other": ("Muu tilanne", "Annan situation", "Another situation"),
}

STATUS_LABELS: Final[dict[str, Labels]] = {
    "sent": ("Lähetetty", "Skickad", "Sent"),
    "delivered": ("Toimitettu hyvinvointialueelle", "Levererad till välfärdsområdet", "Delivered"),
    "accepted": ("Otettu käsittelyyn", "Tagen till behandling", "Accepted"),
    "in_progress": ("Työn alla", "Under arbete", "In progress"),
    "on_hold": ("Odottaa", "Vilande", "On hold"),
    "completed": ("Päättynyt", "Avslutad", "Completed"),
    "rejected": ("Ei otettu käsittelyyn", "Inte tagen till behandling", "Rejected"),
    "forwarded": (
        "Siirretty toiselle hyvinvointialueelle",
        "Överförd till ett annat välfärdsområde",
        "Forwarded to another county",
    ),
    "cancelled": ("Peruttu", "Återkallad", "Cancelled"),
}

EVENT_LABELS: Final[dict[str, Labels]] = {
    "contact_attempted": ("Yhteydenottoa yritetty", "Kontakt har försökts", "Contact attempted"),
    "client_reached": ("Asiakas tavoitettu", "Klienten har nåtts", "Client reached"),
    "client_not_reached": (
        "Asiakasta ei tavoitettu",
        "Klienten har inte nåtts",
        "Client not reached",
    ),
    "client_relationship_started": (
        "Asiakkuus alkanut",
        "Klientrelationen har inletts",
        "Client relationship started",
    ),
    "already_a_client": ("On jo asiakkaana", "Är redan klient", "Already a client"),
    "resumed": ("Työtä jatkettu", "Arbetet har återupptagits", "Work resumed"),
}

OUTCOME_LABELS: Final[dict[str, Labels]] = {
    "client_relationship_started": (
        "Asiakkuus alkanut",
        "Klientrelationen har inletts",
        "Client relationship started",
    ),
    "client_declined": (
        "Asiakas kieltäytyi palvelusta",
        "Klienten tackade nej till service",
        "Client declined",
    ),
    "not_reached_after_attempts": (
        "Asiakasta ei tavoitettu yrityksistä huolimatta",
        "Klienten nåddes inte trots försök",
        "Not reached after attempts",
    ),
    "no_need_found": (
        "Sosiaalihuollon tarvetta ei todettu",
        "Inget behov av socialvård konstaterades",
        "No need for social welfare found",
    ),
    "decided": ("Päätös tehty", "Beslut fattat", "Decided"),
}

HOLD_REASON_LABELS: Final[dict[str, Labels]] = {
    "awaiting_client_documents": (
        "Odottaa asiakkaan selvityksiä",
        "Väntar på klientens utredningar",
        "Awaiting the client's documents",
    ),
    "client_temporarily_unavailable": (
        "Asiakas on tilapäisesti tavoittamattomissa",
        "Klienten är tillfälligt oanträffbar",
        "The client is temporarily unavailable",
    ),
    "awaiting_other_authority": (
        "Odottaa toisen viranomaisen tietoja",
        "Väntar på uppgifter från en annan myndighet",
        "Awaiting information from another authority",
    ),
    "awaiting_kela_decision": (
        "Odottaa Kelan päätöstä",
        "Väntar på FPA:s beslut",
        "Awaiting Kela's decision",
    ),
    "client_request": (
        "Asiakkaan pyynnöstä",
        "På klientens begäran",
        "At the client's request",
    ),
    "other": ("Muu syy", "Annat skäl", "Another reason"),
}

CHECKLIST_LABELS: Final[dict[str, Labels]] = {
    "everyday_life_difficulties": (
        "Vaikeuksia selviytyä arjesta",
        "Svårigheter att klara vardagen",
        "Difficulties coping with everyday life",
    ),
    "housing_at_risk": (
        "Asuminen uhattuna tai asunnottomuus",
        "Hotat boende eller bostadslöshet",
        "Housing at risk or homelessness",
    ),
    "rent_arrears": ("Vuokrarästejä", "Hyresskulder", "Rent arrears"),
    "debt_problems": ("Velkaongelmia", "Skuldproblem", "Debt problems"),
    "long_term_social_assistance": (
        "Pitkäaikainen toimeentulotuen tarve",
        "Långvarigt behov av utkomststöd",
        "Long-term need for social assistance",
    ),
    "long_term_unemployment": (
        "Pitkäaikaistyöttömyys",
        "Långtidsarbetslöshet",
        "Long-term unemployment",
    ),
    "benefit_matters_difficulties": (
        "Vaikeuksia hoitaa etuusasioita",
        "Svårigheter att sköta förmånsärenden",
        "Difficulties handling benefit matters",
    ),
    "substance_use_signs": (
        "Viitteitä päihteiden ongelmakäytöstä",
        "Tecken på missbruk av rusmedel",
        "Signs of substance abuse",
    ),
    "mental_health_signs": (
        "Viitteitä mielenterveyden ongelmista",
        "Tecken på psykisk ohälsa",
        "Signs of mental health problems",
    ),
    "loneliness_or_isolation": (
        "Yksinäisyys tai sosiaalinen eristäytyneisyys",
        "Ensamhet eller social isolering",
        "Loneliness or social isolation",
    ),
    "family_with_children": (
        "Lapsiperheen tuen tarve",
        "Barnfamiljens behov av stöd",
        "A family with children needing support",
    ),
    "integration_support": (
        "Kotoutumisen tuen tarve",
        "Behov av stöd för integration",
        "Need for integration support",
    ),
    "violence_signs": (
        "Viitteitä väkivallasta tai sen uhasta",
        "Tecken på våld eller hot om våld",
        "Signs of violence or its threat",
    ),
}
"""The default service-need checklist (palvelutarpeen tunnistamisen muistilista): what
Kela's officer may have noticed, after the checklist Kela made with the municipalities'
social services (seed 003; like the AVAIN indicator of adult social work)."""
