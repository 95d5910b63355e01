"""Texts written for the tests: a short report in English and its Finnish translation.

Finnish is a language the default sentence encoder lacks, and the pair shares no rare name,
so only the second model (multilingual-E5) can tell that one translates the other.
"""

LIBRARY_EN = (
    "The new library opened its doors to readers on Saturday morning. "
    "Hundreds of families waited in line before the opening ceremony began. "
    "The building has three floors and a large reading room for children. "
    "Its architect said that daylight was the most important design goal. "
    "The old library will be turned into a youth centre next year."
)
LIBRARY_FI = (
    "Uusi kirjasto avasi ovensa lukijoille lauantaiaamuna. "
    "Sadat perheet jonottivat ennen kuin avajaisseremonia alkoi. "
    "Rakennuksessa on kolme kerrosta ja suuri lukusali lapsille. "
    "Sen arkkitehdin mukaan päivänvalo oli tärkein suunnittelun tavoite. "
    "Vanhasta kirjastosta tehdään ensi vuonna nuorisotalo."
)
