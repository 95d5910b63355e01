"""Texts written for the tests: a short report in English, its Finnish translation, and a
Finnish report of the same shape about something else.

Finnish is a language the default sentence encoder lacks, and the texts share no rare name,
so only the second model (multilingual-E5) can tell which one translates the English.
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
HOCKEY_FI = (
    "Jääkiekkojoukkue voitti lauantaina kotiottelunsa selvin numeroin. "
    "Tuhannet katsojat täyttivät hallin jo ennen ensimmäistä erää alkua. "
    "Valmentajan mukaan puolustus pelasi koko kauden parhaan ottelunsa. "
    "Maalivahti torjui kolmekymmentä laukausta ja sai yleisöltä seisovat aplodit. "
    "Seuraava ottelu pelataan vieraissa tiistaina."
)
