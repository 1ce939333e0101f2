"""A synthetic NCJRS corpus at any size, in the real page layouts and as JSON Lines.

Why: the pipeline must be proven at 250,000 records and the captured seeds are a few dozen pages.
This module writes records the way the sites showed them, reproduced from the captures in `seeds/`:

- ``ojp-modern``: the current ojp.gov abstract page, ``Label`` / value lines, with the site header
  and title, or without them (the ``ojp.gov./`` captures that start at ``NCJ Number``);
- ``ojp-lossy``: the scraped form of that page where labels lost their values and values stand
  unlabelled (the NCJ number is gone; authors and the journal float under ``NCJ Number``);
- ``abstract-aspx``: the older ncjrs.gov ``Label: value`` pages in three variants (``register``,
  ``justinfo``, ``abstractdb``);
- ``jsonl``: a structured export, one JSON object a line, with the fields in `JSONL_FIELDS`.

Names, agencies, journals, grants and subjects are drawn with Zipf-like frequencies so that entities
are shared across many records. A share of records lack fields, a few are captured twice in two
layouts, and a few files are broken (empty, binary junk, cut mid-word at 2,000 characters as the
harvester cut pages, a JSON line that is not JSON). It is written independently of the readers
so that the two check each other: ``manifest.json`` holds, for a sample of records, the values a
reader should recover.

Everything follows from the seed. Each record draws from its own ``random.Random(f"{seed}/{i}")``,
each folder of 1,000 records from ``random.Random(f"{seed}/block/{b}")``, so the output is
byte-identical for a seed whatever the number of worker processes, and nothing is held in memory
beyond one folder's records.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import json
import multiprocessing
import os
import random
import re
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import ConfigError

# The JSON Lines export's field names, in the order written. Kept in one place so the structured
# reader can be aligned with it. Types: ``authors``, ``editors``, ``corporate_authors``,
# ``grants``, ``formats``, ``types``, ``subjects`` are lists of strings (empty when there are none);
# ``sponsors`` a list of {"name", "acronym", "address": [lines]}; ``links`` a list of
# {"label", "url", "rel"}; ``length`` an integer page count; ``date_published`` "1995",
# "1995-07" or "1995-07-14"; other fields strings; null when unknown.
JSONL_FIELDS = (
    "ncj",
    "title",
    "authors",
    "corporate_authors",
    "editors",
    "journal",
    "volume",
    "issue",
    "pages",
    "dated",
    "date_published",
    "length",
    "annotation",
    "abstract",
    "abstract_source",
    "grants",
    "sponsors",
    "formats",
    "types",
    "language",
    "country",
    "subjects",
    "links",
    "source_url",
)

LAYOUTS = ("ojp-modern", "ojp-lossy", "abstract-aspx", "jsonl")
BROKEN_KINDS = ("empty", "binary", "truncated", "bad-json")
RECORDS_PER_FOLDER = 1000
FOLDERS_PER_JSONL = 25  # 25,000 records (about 3,700 lines) per .jsonl file

# Which layout a record is written in, and in which variant (cumulative shares).
_LAYOUT_SHARES = (
    ("ojp-modern", "header", 0.47),
    ("ojp-modern", "bare", 0.08),
    ("ojp-lossy", "virtual-library", 0.045),
    ("ojp-lossy", "library", 0.015),
    ("abstract-aspx", "register", 0.12),
    ("abstract-aspx", "justinfo", 0.05),
    ("abstract-aspx", "abstractdb", 0.07),
    ("jsonl", "jsonl", 0.15),
)
_LAYOUT_CUM = list(itertools.accumulate(share for _, _, share in _LAYOUT_SHARES))


@dataclass
class SynthSummary:
    """What `write_corpus` wrote: counts per layout, broken files, duplicates, size and time."""

    out_dir: str
    seed: int
    records: int  # distinct records generated (each written once, some twice)
    files: int  # page files plus .jsonl files
    page_files: int
    jsonl_files: int
    jsonl_lines: int
    bytes: int
    by_layout: dict[str, int] = field(default_factory=dict)  # records per primary layout
    by_variant: dict[str, int] = field(default_factory=dict)  # "abstract-aspx/justinfo": n
    duplicates: int = 0  # records written a second time in another layout
    broken: int = 0
    broken_by_kind: dict[str, int] = field(default_factory=dict)
    samples: int = 0  # records with expected values in manifest.json
    seconds: float = 0.0

    def describe(self) -> str:
        """A few lines for a person."""
        layouts = ", ".join(f"{k} {v:,}" for k, v in self.by_layout.items())
        broken = ", ".join(f"{k} {v:,}" for k, v in self.broken_by_kind.items())
        return "\n".join(
            [
                f"synthetic corpus in {self.out_dir} (seed {self.seed})",
                f"  records     {self.records:,}  ({layouts})",
                f"  files       {self.files:,}  ({self.page_files:,} pages, "
                f"{self.jsonl_files:,} .jsonl with {self.jsonl_lines:,} lines)",
                f"  duplicates  {self.duplicates:,} records captured twice",
                f"  broken      {self.broken:,}  ({broken})",
                f"  samples     {self.samples:,} in manifest.json",
                f"  size        {self.bytes / 1e6:,.1f} MB in {self.seconds:,.1f} s",
            ]
        )


# -- vocabulary -------------------------------------------------------------------------------
# Drawn from the kind of words NCJRS abstracts use; the sentences are templates filled at random.
# Tables, kept dense by hand rather than one item a line.
# fmt: off

_GIVEN = (
    "James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel "
    "Matthew Anthony Mark Donald Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy "
    "Ronald Edward Jason Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin "
    "Scott Brandon Benjamin Samuel Gregory Frank Alexander Raymond Patrick Jack Dennis Jerry "
    "Tyler Aaron Jose Adam Henry Nathan Douglas Zachary Peter Kyle Walter Ethan Jeremy Harold "
    "Keith Christian Roger Noah Gerald Carl Terry Sean Austin Arthur Lawrence Jesse Dylan Bryan "
    "Joe Jordan Billy Bruce Albert Willie Gabriel Logan Alan Juan Wayne Roy Ralph Randy Eugene "
    "Vincent Russell Elijah Louis Bobby Philip Johnny Geoffrey Marc Joel Kenji Rajiv Wei Hans "
    "Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty "
    "Margaret Sandra Ashley Kimberly Emily Donna Michelle Carol Amanda Dorothy Melissa Deborah "
    "Stephanie Rebecca Sharon Laura Cynthia Kathleen Amy Angela Shirley Anna Brenda Pamela Emma "
    "Nicole Helen Samantha Katherine Christine Debra Rachel Carolyn Janet Catherine Maria "
    "Heather Diane Ruth Julie Olivia Joyce Virginia Victoria Kelly Lauren Christina Joan "
    "Evelyn Judith Megan Andrea Cheryl Hannah Jacqueline Martha Gloria Teresa Ann Sara Madison "
    "Frances Kathryn Janice Jean Abigail Alice Judy Sophia Grace Denise Amber Doris Marilyn "
    "Danielle Beverly Isabella Theresa Diana Natalie Brittany Charlotte Marie Kayla Alexis Lori "
    "Gitte Suzanne Josine Leonieke Doris Marcia Lenora Gina Kimberly Mei Aisha Ana Lucia"
).split()

_FAMILY = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
    "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill "
    "Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips "
    "Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook "
    "Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward "
    "Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez "
    "Castillo Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan "
    "Bell Coleman Butler Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan "
    "Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant "
    "Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens Harrison "
    "Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb Tucker "
    "Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason "
    "Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox "
    "Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan "
    "Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce Hansen Peters Santos Hart "
    "Bradley Knight Elliott Cunningham Duncan Armstrong Hudson Carroll Lane Riley Andrews Ray "
    "Berry Perkins Hoffman Johnston Matthews Pena Richards Contreras Willis Carpenter Lawrence "
    "Sandoval Cunniff MacKenzie Souryal Grinc Goodman Larsen Barber Kosegarten Greenfeld Langan "
    "Alpert Dunham Garner Maxwell Henriquez Cronin Ederheimer Rivara Newmark Reichs Albrecht "
    "Austin Swanson Talarico Greenbaum Plate Mackenzie Sherman Weisburd Braga Skogan Sampson "
    "Petersilia Tonry Blumstein Cullen Lipsey Farrington Loeber Widom Finkelhor Tjaden Thoennes "
    "Zhang Wang Li Liu Yamamoto Tanaka Kowalski Nowak Schneider Fischer Weber Becker Schulz "
    "Kahn Zwerling Mitchell"
).split()

# Names the pages write with particles or apostrophes; drawn like the others.
_FAMILY_SPECIAL = (
    "O'Brien", "O'Connor", "O'Neill", "McCarthy", "McLaughlin", "MacDonald", "Le Menestrel",
    "Van Ness", "De Leon", "Del Rio", "St. Clair", "Junger-Tas", "Smith-Jones", "Muñoz",
    "Gómez", "Müller", "D'Amico", "DeLisi", "Van Voorhis", "La Vigne",
)

# (name, acronym, address lines, country) - sponsoring agencies, most shared first.
_AGENCIES = (
    ("National Institute of Justice", "NIJ", ("999 N. Capitol St. NE", "Washington, DC 20531"),
     "United States"),
    ("Office of Juvenile Justice and Delinquency Prevention", "OJJDP",
     ("999 N. Capitol St. NE", "Washington, DC 20531"), "United States"),
    ("Bureau of Justice Assistance", "BJA", ("810 Seventh Street, NW", "Washington, DC 20531"),
     "United States"),
    ("Bureau of Justice Statistics", "BJS", ("810 Seventh Street, NW", "Washington, DC 20531"),
     "United States"),
    ("Office for Victims of Crime", "OVC", ("810 Seventh Street, NW", "Washington, DC 20531"),
     "United States"),
    ("National Institute of Corrections", "NIC", ("320 First Street, NW", "Washington, DC 20534"),
     "United States"),
    ("Law Enforcement Assistance Administration", "LEAA", ("633 Indiana Avenue, NW",
     "Washington, DC 20531"), "United States"),
    ("Office on Violence Against Women", "OVW", ("145 N Street, NE", "Washington, DC 20530"),
     "United States"),
    ("Office of Community Oriented Policing Services", "COPS", ("145 N Street, NE",
     "Washington, DC 20530"), "United States"),
    ("US Dept of Justice NIJ Pub", None, ("810 Seventh Street, NW", "Washington, DC 20531"),
     "United States"),
    ("NCJRS Photocopy Services", None, ("Box 6000", "Rockville, MD 20849-6000"), "United States"),
    ("Office of National Drug Control Policy", "ONDCP", ("750 17th Street, NW",
     "Washington, DC 20503"), "United States"),
    ("State Justice Institute", "SJI", ("11951 Freedom Drive, Suite 1020", "Reston, VA 20190"),
     "United States"),
    ("National Highway Traffic Safety Administration", "NHTSA", ("1200 New Jersey Avenue, SE",
     "Washington, DC 20590"), "United States"),
    ("Centers for Disease Control and Prevention", "CDC", ("1600 Clifton Road",
     "Atlanta, GA 30329"), "United States"),
    ("National Institute on Drug Abuse", "NIDA", ("6001 Executive Boulevard",
     "Bethesda, MD 20892"), "United States"),
    ("Substance Abuse and Mental Health Services Administration", "SAMHSA",
     ("5600 Fishers Lane", "Rockville, MD 20857"), "United States"),
    ("National School Safety Ctr", None, ("141 Duesenberg Drive, Suite 11",
     "Westlake Village, CA 91362"), "United States"),
    ("Office of Sex Offender Sentencing, Monitoring, Apprehending, Registering, and Tracking",
     "SMART", ("810 Seventh Street, NW", "Washington, DC 20531"), "United States"),
    ("Federal Bureau of Investigation", "FBI", ("935 Pennsylvania Avenue, NW",
     "Washington, DC 20535"), "United States"),
    ("National Law Enforcement and Corrections Technology Center", "NLECTC",
     ("700 N. Frederick Ave.", "Gaithersburg, MD 20879"), "United States"),
    ("Annie E. Casey Foundation", None, ("701 St. Paul Street", "Baltimore, MD 21202"),
     "United States"),
    ("Ford Foundation", None, ("320 East 43rd Street", "New York, NY 10017"), "United States"),
    ("Police Foundation", None, ("1201 Connecticut Avenue, NW", "Washington, DC 20036"),
     "United States"),
    ("Home Office", None, ("2 Marsham Street", "London SW1P 4DF"), "United Kingdom"),
    ("Solicitor General Canada", None, ("340 Laurier Avenue West", "Ottawa, ON K1A 0P8"),
     "Canada"),
    ("Australian Institute of Criminology", "AIC", ("GPO Box 1936", "Canberra, ACT 2601"),
     "Australia"),
    ("US Dept of Health and Human Services", "HHS", ("200 Independence Avenue, SW",
     "Washington, DC 20201"), "United States"),
    ("US Dept of Education", None, ("400 Maryland Avenue, SW", "Washington, DC 20202"),
     "United States"),
    ("Bureau of Prisons", "BOP", ("320 First Street, NW", "Washington, DC 20534"),
     "United States"),
)
# Agencies that award the grants the pages list.
_GRANTING = {"NIJ", "OJJDP", "BJA", "BJS", "OVC", "NIC", "LEAA", "OVW", "COPS", "SMART", "ONDCP"}

# (name, acronym, extra address lines) - corporate authors; more are made from places below.
_CORPORATE = (
    ("Police Executive Research Forum", "PERF", ()),
    ("National Center for State Courts", "NCSC", ()),
    ("Urban Institute", None, ("Justice Policy Center",)),
    ("RAND Corporation", None, ()),
    ("Vera Institute of Justice", None, ()),
    ("National Council on Crime and Delinquency", "NCCD", ()),
    ("American Correctional Association", "ACA", ()),
    ("International Association of Chiefs of Police", "IACP", ()),
    ("National Sheriffs' Association", None, ()),
    ("Abt Associates, Inc.", None, ()),
    ("National Criminal Justice Association", None, ()),
    ("National Center on Institutions and Alternatives", "NCIA", ()),
    ("Institute for Law and Justice", None, ()),
    ("National Institute of Justice", "NIJ", ("US Dept of Justice",)),
    ("Office of Juvenile Justice and Delinquency Prevention", None, ("US Dept of Justice",)),
    ("Bureau of Justice Statistics", "BJS", ("US Dept of Justice",)),
    ("National Law Enforcement and Corrections Technology Center", "NLECTC", ()),
    ("Council of State Governments", None, ("Justice Center",)),
    ("Police Foundation", None, ()),
    ("American Bar Association", None, ("Criminal Justice Section",)),
)

_UNIVERSITY_PLACES = (
    "Maryland", "Cincinnati", "Michigan", "Chicago", "Pennsylvania", "California, Irvine",
    "Missouri-St. Louis", "South Carolina", "Texas at Austin", "Florida", "Washington",
    "Minnesota", "Delaware", "Nebraska at Omaha", "Albany", "New Hampshire", "Arizona",
    "Colorado", "Illinois at Chicago", "North Carolina",
)
_DEPARTMENTS = (
    "Dept of Criminal Justice and Criminology", "School of Criminal Justice",
    "Dept of Sociology", "Crimes Against Children Research Center", "School of Social Work",
    "Institute for Social Research", "Dept of Psychology", "College of Law",
)

_JOURNALS = (
    ("Federal Probation", 1937), ("Crime and Delinquency", 1955), ("Justice Quarterly", 1984),
    ("FBI Law Enforcement Bulletin", 1932), ("Corrections Today", 1939), ("Police Chief", 1934),
    ("Criminology", 1963), ("Journal of Criminal Justice", 1973),
    ("Journal of Research in Crime and Delinquency", 1964), ("Homicide Studies", 1997),
    ("American Journal of Criminal Justice", 1976), ("Journal of Interpersonal Violence", 1986),
    ("Child Abuse and Neglect", 1977), ("Violence Against Women", 1995),
    ("Journal of Quantitative Criminology", 1985), ("Criminal Justice and Behavior", 1974),
    ("Journal of Forensic Sciences", 1956), ("Public Health Reports", 1878),
    ("Corrections Compendium", 1976), ("Crime Victims Report", 1997),
    ("Juvenile and Family Court Journal", 1950), ("Law Enforcement News", 1975),
    ("Journal of Drug Issues", 1971), ("Prison Journal", 1921), ("Judicature", 1917),
    ("Police Quarterly", 1998), ("Criminology and Public Policy", 2001),
    ("Journal of Family Violence", 1986), ("Youth Violence and Juvenile Justice", 2003),
    ("Justice Research and Policy", 1999), ("Journal of Experimental Criminology", 2005),
    ("Policing: An International Journal of Police Strategies and Management", 1978),
    ("International Journal of Offender Therapy and Comparative Criminology", 1957),
    ("British Journal of Criminology", 1960), ("Canadian Journal of Criminology", 1958),
    ("Australian and New Zealand Journal of Criminology", 1968), ("Sheriff", 1948),
    ("Law and Order", 1953), ("American Jails", 1987), ("Juvenile Justice Bulletin", 1995),
    ("NIJ Journal", 1992), ("OJJDP News @ a Glance", 2002), ("Journal of Offender Rehabilitation",
    1976), ("Behavioral Sciences and the Law", 1983), ("Trauma, Violence, and Abuse", 2000),
    ("Journal of Criminal Law and Criminology", 1910), ("Crime and Justice", 1979),
    ("Security Management", 1957), ("Forensic Science International", 1972),
    ("Journal of Contemporary Criminal Justice", 1978),
)
_JOURNAL_WORDS = (
    "Criminal Justice", "Corrections", "Policing", "Juvenile Justice", "Victimology",
    "Forensic Science", "Criminology", "Law and Society", "Offender Treatment", "Court Management",
    "Crime Prevention", "Justice Administration", "Security Studies", "Violence Research",
)
_JOURNAL_FORMS = (
    "Journal of {}", "{} Review", "{} Quarterly", "International Journal of {}", "{} Today",
    "{} Research and Practice", "Annals of {}", "{} Bulletin",
)

_TOPICS = (
    "community policing", "shock incarceration", "drug courts", "juvenile delinquency",
    "domestic violence", "intimate partner violence", "police use of force",
    "jail suicide prevention", "victim compensation", "gang prevention",
    "sex offender registration", "forensic DNA analysis", "crime laboratory backlogs",
    "computer crime", "identity theft", "human trafficking", "school bullying", "pretrial release",
    "sentencing guidelines", "prison crowding", "parole supervision", "probation violations",
    "restorative justice", "victim-offender mediation", "residential burglary", "fear of crime",
    "police pursuit driving", "correctional officer stress", "inmate classification",
    "drug testing of arrestees", "child sexual abuse", "elder abuse", "hate crime",
    "firearms violence", "body-worn cameras", "less-lethal weapons", "hot spots policing",
    "crime mapping", "prisoner reentry", "electronic monitoring", "boot camps",
    "juvenile detention", "court delay", "jury selection", "plea bargaining", "white-collar crime",
    "money laundering", "terrorism prevention", "wrongful convictions",
    "eyewitness identification", "postmortem toxicology testing", "death investigation",
    "victim services", "substance abuse treatment", "mental health courts", "police training",
    "police-community relations", "stalking", "teen dating violence", "bail reform",
    "drunk driving", "motor vehicle theft", "arson investigation", "fingerprint identification",
    "jail overcrowding", "prison industries", "capital punishment", "juvenile transfer to adult "
    "court", "truancy", "delinquency prevention", "neighborhood watch",
    "crime prevention through environmental design", "officer safety", "child sex trafficking",
    "cyberstalking", "prison gangs", "correctional health care", "youth mentoring",
    "firearm tracing", "cold case investigation", "sexual assault kits", "police legitimacy",
)
_POPULATIONS = (
    "juvenile offenders", "adult probationers", "female inmates", "arrestees", "crime victims",
    "police officers", "correctional staff", "high-risk youth", "parolees", "rural women",
    "urban youth", "older adults", "college students", "gang members", "repeat offenders",
    "sex offenders", "American Indian youth", "immigrant communities", "jail detainees",
    "child witnesses", "school administrators", "prosecutors", "public defenders",
    "victim advocates", "homeless youth", "drug-involved offenders", "first-time offenders",
)
_PLACES = (
    "California", "Texas", "New York City", "Maricopa County", "Chicago", "Houston", "Newark",
    "Kentucky", "Oregon", "Baltimore", "Minneapolis", "Kansas City", "Philadelphia", "Boston",
    "Florida", "Ohio", "Washington State", "Georgia", "Michigan", "Los Angeles County",
    "Cook County", "Milwaukee", "Denver", "Seattle", "Atlanta", "Detroit", "San Diego",
    "Portland", "Phoenix", "Dade County", "the District of Columbia", "North Carolina",
    "Pennsylvania", "Virginia", "Maryland", "Arizona", "Colorado", "Massachusetts", "New Jersey",
    "Illinois", "rural Iowa", "Alaska", "Hawaii", "Puerto Rico", "Indian Country",
    "the Federal Republic of Germany", "Japan", "England and Wales", "Canada", "the Netherlands",
    "Australia", "Sweden", "Scotland", "Israel", "South Africa",
)
_PROGRAMS = (
    "Drug Court Program", "Weed and Seed Initiative", "Community Policing Demonstration",
    "Shock Incarceration Program", "Victim Assistance Program", "Intensive Supervision Program",
    "Reentry Initiative", "Youth Mentoring Program", "Domestic Violence Court",
    "Gang Resistance Education and Training Program", "Safe Schools Initiative",
    "Pretrial Services Project", "Day Reporting Center", "Juvenile Accountability Program",
    "Project Safe Neighborhoods", "Sexual Assault Response Team", "Crisis Intervention Team",
    "Family Group Conferencing Project", "Drug Market Intervention", "Teen Court Program",
)
_SUBTITLES = (
    "Findings From a National Survey", "A Process Evaluation", "Lessons Learned",
    "Issues and Options", "Final Report", "A Guide for Practitioners",
    "Results of a Multisite Study", "Policy Implications", "A Review of the Literature",
    "Trends and Patterns", "What Research Shows", "A Randomized Experiment",
    "An Exploratory Study", "Program Manual", "Summary Report", "Implementation and Outcomes",
    "A Statewide Assessment", "Problems and Prospects", "Qualitative Insights",
    "A Longitudinal Analysis", "Current Practices", "Research in Brief",
)
_GENERIC_TITLES = (
    "Introduction to Corrections", "Criminal Justice Today", "Annual Report", "Juvenile Justice",
    "Police Administration", "Criminology", "Corrections in America", "Victimology",
    "Criminal Investigation", "Courts and Criminal Justice",
)
_DOCTYPES = ("report", "article", "study", "paper", "guide", "bulletin", "monograph", "document")
_OUTCOMES = (
    "recidivism", "rearrest rates", "victimization", "citizen complaints", "fear of crime",
    "drug use", "case processing time", "officer injuries", "school attendance",
    "program completion", "violent incidents", "calls for service", "jail populations",
)
_UNITS = (
    "jurisdictions", "police departments", "counties", "courts", "correctional facilities",
    "jails", "laboratories", "programs", "schools", "sites", "agencies", "neighborhoods",
)
_PRACTITIONERS = (
    "law enforcement professionals", "service providers", "program staff", "judges",
    "probation officers", "correctional administrators", "prosecutors", "victim advocates",
    "police supervisors", "treatment providers",
)
_METHODS = (
    "a quasi-experimental design", "a randomized controlled trial", "survival analysis",
    "multilevel modeling", "a grounded theory approach", "official arrest records",
    "a mail survey", "structured interviews", "growth curve models", "a time-series analysis",
    "propensity score matching", "focus groups", "a cost-benefit analysis", "site visits",
)
_FINDINGS = (
    "arrest rates declined after the program began",
    "dual arrest rates remained low",
    "participants were less likely to be rearrested than comparison group members",
    "recidivism did not differ significantly between the groups",
    "victims reported greater satisfaction with the police response",
    "officer training varied widely across sites",
    "most agencies lacked written policies",
    "program completion was associated with lower rates of reoffending",
    "the limit of detection thresholds varied up to 30-fold",
    "community residents perceived little change in neighborhood safety",
    "costs per participant were lower than the costs of incarceration",
    "technology use among young people increased the risk of victimization",
    "case processing time was reduced by several months",
    "prior victimization was the strongest predictor of later victimization",
    "implementation was slower than planned",
    "supervision intensity had no measurable effect on technical violations",
    "agencies that collected data systematically reported fewer complaints",
    "State laws strongly influenced whether police made an arrest",
)
_PROBLEMS = (
    "staff turnover", "inadequate funding", "resistance from line officers",
    "poor interagency coordination", "limited data systems", "high caseloads",
    "unclear program goals", "low community participation", "delays in laboratory analysis",
    "lack of aftercare services",
)
_RECOMMENDATIONS = (
    "develop written policies and train staff in their use",
    "collect uniform data on every incident",
    "expand aftercare services for program graduates",
    "coordinate services with community agencies",
    "adopt standard definitions and reporting procedures",
    "evaluate new programs before expanding them",
    "provide victims with timely information about their cases",
)
_FIELDS = ("law enforcement", "corrections", "the courts", "juvenile justice", "victim services",
           "crime prevention", "forensic science", "public health")
_APPENDIXES = (
    "the survey instrument", "the project coding sheet", "a glossary", "sample policies",
    "methodological notes", "a list of program contacts", "State statutes",
)
_CLOSINGS = (
    "Tables, references", "Figures, tables, and {n} references", "{n} exhibits and {m} tables",
    "Notes, figures, bibliography", "References", "Appendix and references",
    "Tables and references",
    "Figures, tables, photographs, footnotes, glossary, and {n} references", "Exhibits",
    "{n} references", "Tables, figures, notes, and {n} references",
)

_ANNOTATIONS = (
    "This {doctype} examines {topic} among {population} in {place}.",
    "This {doctype} presents the findings of a study of {topic} in {place}.",
    "This {doctype} describes the components of current {topic} programs and their evaluation.",
    "This {doctype} reviews research on {topic} and its implications for {field}.",
    "In order to examine the factors that affect {topic}, this {doctype} presents the results of "
    "a comprehensive, nationwide study.",
    "This {doctype} explores the comparability of {topic} practices across jurisdictions.",
    "This {doctype} provides guidelines intended to help {practitioners} make informed decisions "
    "about {topic}.",
    "This qualitative study examines the effect of {topic} on {population} and on service "
    "provision.",
    "State and local {topic} programs are examined with respect to differences in goals, "
    "operations, administration, and structure.",
    "The {doctype} assesses the impact of {topic} on {outcome} in {place}.",
)
_SENTENCES = (
    "Data were collected from {n} {units} in {n2} States.",
    "Researchers conducted semistructured interviews with {n} {practitioners}.",
    "The study found that {finding}.",
    "Findings indicate that {finding}, although {finding2}.",
    "The analysis used {method} to examine {topic} over a {k}-year period.",
    "The sample consisted of {n} {population} drawn from {place}.",
    "Results suggest that the program reduced {outcome} by {pct} percent relative to a "
    "comparison group.",
    "The report recommends that agencies {recommendation}.",
    "Part {k} describes {topic}; part {k2} considers {topic2}.",
    "Implementation problems included {problem}, {problem2}, and {problem3}.",
    "Between {y1} and {y2}, {outcome} increased {pct} percent in {place}.",
    "The {doctype} also discusses {topic} and {topic2}.",
    "Policy implications for {field} are discussed.",
    "Recommendations address {topic}, {topic2}, and the need for further research.",
    "A total of {n} cases were reviewed, and {pct} percent involved {topic}.",
    "The appendixes contain {appendix} and {appendix2}.",
    "Interviews with {practitioners} suggested that {finding}.",
    "However, {finding}.",
    "In addition, {practitioners} reported that {problem} limited the effect of the program.",
    "The first section describes the history of {topic} in {place}.",
    "Other sections focus on {topic}, {topic2}, and {topic3}.",
    "Evaluations have generally revealed that {finding}.",
    "Some additional data suggest that {finding}.",
    "These findings suggest potential options for action for {place}.",
    "The {doctype} concludes that {topic} requires cooperation among {practitioners} and "
    "{practitioners2}.",
    "Survey responses were received from {n} of {n3} {units} ({pct} percent).",
    "Case examples illustrate the need for {practitioners} to assess situations quickly.",
    "Advocates contend that {topic} is a means of being tough on crime while reducing costs.",
    "Defining the problem, gathering data, and analyzing the nature and scope of {topic} "
    "represent natural steps in a problem-oriented approach.",
    "Collectively, results highlight the need for research on {topic} among {population}.",
)

_SUBJECTS = (
    "Shock incarceration programs", "Corrections effectiveness", "Juvenile offenders",
    "Police pursuit driving", "Community policing", "Drug testing", "Domestic assault",
    "Victim services", "Recidivism", "Program evaluation", "Police use of force",
    "Crime prevention measures", "Sentencing guidelines", "Prison overcrowding",
    "Parole supervision", "Probation conditions", "Restorative justice", "Mediation",
    "Burglary", "Fear of crime", "Correctional personnel", "Inmate classification",
    "Child abuse", "Child Sexual Abuse", "Elder Abuse", "Hate Crimes", "Firearms",
    "Gun Violence", "Less lethal technologies", "Hot spots", "Crime mapping",
    "Offender reentry", "Electronic monitoring of offenders", "Juvenile detention",
    "Court delays", "Jury selection", "Plea negotiations", "White collar crime",
    "Money laundering", "Counter-terrorism tactics", "Wrongful conviction",
    "Eyewitness testimony", "Toxicology", "Death investigations", "Drug treatment",
    "Mental health courts", "Police training", "Police community relations", "Stalking",
    "Dating Violence", "Bail reform", "Driving Under the Influence", "Motor vehicle theft",
    "Arson investigations", "Fingerprints", "Jail management", "Prison industry",
    "Capital punishment", "Juvenile court waiver", "Truancy", "Delinquency prevention",
    "Neighborhood watch", "Environmental design", "Police safety", "Human trafficking",
    "Computer related crime", "Identity theft", "Bullying", "Pretrial release", "Gangs",
    "Sex offender registration", "DNA fingerprinting", "Crime laboratories",
    "Victim compensation", "Suicide prevention", "Drug Courts", "Boot camps",
    "Intimate partner violence", "Youth development", "Forensic sciences",
    "Police effectiveness", "Criminology", "Statistics", "Research methods",
    "Federal Republic of Germany", "Japan", "England", "Canada", "California", "Texas",
    "New York", "Florida", "Illinois", "United States of America", "Evaluation measures",
    "Cost effectiveness analysis", "Crime Statistics", "Arrest statistics",
    "Victimization surveys", "Policy analysis", "Corrections management", "Court management",
    "Mentoring", "School security", "Body Worn Cameras", "Legitimacy", "Sexual assault",
)
_TYPES = (
    "Research (Applied/Empirical)", "Program/Project Evaluation",
    "Program Description (Demonstrative)", "Report (Study/Research)", "Issue Overview",
    "Report (Technical Assistance)", "Report (Technical)", "Program/Project Description",
    "Legislation/Policy Analysis", "Report (Annual/Periodic)", "Statistics",
    "Training (Handbook/Manual)", "Literature Review", "Instructional Material",
    "Conference Material", "Bibliography", "Dissertation/Thesis", "Survey", "Test/Measurement",
    "Historical Overview", "Report (Grant Sponsored)", "Legislation/Policy Description",
)
_FORMATS = ("Document", "Document (Online)", "Book", "News/Media", "Report", "Dataset",
            "Video", "Microfiche")
_LANGUAGES = ("English",) * 36 + ("Spanish", "French", "German", "Dutch")
_COUNTRIES = ("United States of America",) * 30 + (
    "United Kingdom", "Canada", "Australia", "Germany", "Netherlands", "Japan", "Sweden",
    "France", "Israel", "South Africa",
)
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_SEASONS = ("Winter", "Spring", "Summer", "Fall")
_SMALL_WORDS = frozenset(
    "a an and as at but by for from in into nor of on or per the to via vs with".split()
)
# Drupal pathauto's default stop words: dropped from the ojp.gov URL slugs.
_SLUG_STOP = frozenset(
    "a an as at before but by for from is in into like of off on onto per since than the this "
    "that to up via with".split()
)
# Year of publication by NCJ number: NCJ numbers were given in order of accession.
_NCJ_YEARS = ((0, 1970), (3400, 1972), (50000, 1979), (100000, 1985), (150000, 1994),
              (190000, 2001), (224000, 2008), (250000, 2016), (310000, 2024))


# fmt: on


# -- the shared pools (Zipf-like draws) ------------------------------------------------------


class _Pool:
    """Items drawn with weight 1/(rank+q)^s: a few very common, a long tail of rare ones."""

    __slots__ = ("items", "cum")

    def __init__(self, items: list, *, s: float = 1.05, q: float = 8.0) -> None:
        self.items = items
        self.cum = list(itertools.accumulate(1.0 / (r + q) ** s for r in range(len(items))))

    def draw(self, rng: random.Random):
        return self.items[bisect.bisect(self.cum, rng.random() * self.cum[-1])]

    def draw_distinct(self, rng: random.Random, k: int) -> list:
        """k different items (fewer if the pool is smaller), in the order drawn."""
        k = min(k, len(self.items))
        out: list = []
        while len(out) < k:
            item = self.draw(rng)
            if item not in out:
                out.append(item)
        return out


class _World:
    """The entities records share, made once per (seed, size) from `random.Random(seed)`."""

    def __init__(self, seed: int, records: int) -> None:
        rng = random.Random(f"{seed}/world")
        self.seed = seed
        self.records = records
        self.stride = max(1, 300_000 // max(records, 1))
        # s and q put the most prolific author in ~500 of 250,000 records, ~100,000 names in all.
        people = min(max(400, records // 2), 1_000_000)  # well inside the names there are
        self.persons = _Pool(_make_persons(rng, people), s=0.9, q=100)
        corporate = [(name, acr, extra) for name, acr, extra in _CORPORATE]
        for place in _UNIVERSITY_PLACES:
            corporate.append((f"University of {place}", None, (rng.choice(_DEPARTMENTS),)))
        for place in _PLACES[:40]:
            kind = rng.choice(
                (
                    "Police Dept",
                    "Dept of Corrections",
                    "Sheriff's Office",
                    "Criminal Justice Council",
                    "Office of the Attorney General",
                )
            )
            corporate.append((f"{place} {kind}", None, ()))
        rng.shuffle(corporate)
        corporate.sort(key=lambda c: 0 if c in _CORPORATE[:6] else 1)  # the big ones on top
        self.corporate = _Pool(corporate, s=1.0, q=4)
        self.agencies = _Pool(list(_AGENCIES), s=1.6, q=1)
        # Made-up journals for the tail, from every form and word (a finite list: no retry loop).
        made = [form.format(word) for form in _JOURNAL_FORMS for word in _JOURNAL_WORDS]
        rng.shuffle(made)
        made = made[: max(0, records // 2500)]
        journals = list(_JOURNALS) + [(name, rng.randint(1950, 2010)) for name in made]
        self.journals = _Pool(journals, s=1.1, q=3)
        self.subjects = _Pool(list(_SUBJECTS), s=0.9, q=5)
        self.types = _Pool(list(_TYPES), s=1.3, q=1)
        self.formats = _Pool(list(_FORMATS), s=1.5, q=1)
        per_era = min(max(40, records // 6 // 12), 10_000)  # of ~40,000 possible numbers
        self.grants = {
            era: _Pool(_make_grants(rng, per_era, era), s=0.9, q=30) for era in range(1965, 2025, 5)
        }


def _make_persons(rng: random.Random, n: int) -> list[str]:
    """Distinct person names in the forms the pages use: 'M A Cunniff', 'Jennifer E. O'Brien'."""
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        family = rng.choice(_FAMILY_SPECIAL) if rng.random() < 0.06 else rng.choice(_FAMILY)
        given = rng.choice(_GIVEN)
        middle = rng.choice(_GIVEN)[0] if rng.random() < 0.6 else None
        form = rng.random()
        if form < 0.32:  # initials without stops, as the older abstracts write them
            if rng.random() < 0.03:
                initials = f"{given[0]}-{rng.choice(_GIVEN)[0]}"  # "H-J Albrecht"
            else:
                initials = f"{given[0]} {middle}" if middle else given[0]
            name = f"{initials} {family}"
        elif middle:
            name = f"{given} {middle}. {family}"
        else:
            name = f"{given} {family}"
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


def _make_grants(rng: random.Random, n: int, era: int) -> list[str]:
    """Grant numbers from the five years after `era` ('88-DD-CX-0026', '2005-MU-CX-K077')."""
    seen: set[str] = set()
    out: list[str] = []
    codes = ("DD", "IJ", "MU", "JN", "JS", "VF", "DB", "WT", "CK", "R2", "V3", "BX", "DN", "AX")
    kinds = ("CX", "GX", "CK", "BX", "MU", "GTX")
    while len(out) < n:
        year = rng.randint(era, era + 4)
        if year < 2000:
            tail = f"{rng.randint(1, 99):04d}"
            grant = f"{year % 100:02d}-{rng.choice(codes)}-{rng.choice(kinds)}-{tail}"
        else:
            tail = (
                f"K{rng.randint(1, 199):03d}" if rng.random() < 0.4 else f"{rng.randint(1, 99):04d}"
            )
            grant = f"{year}-{rng.choice(codes)}-{rng.choice(kinds)}-{tail}"
        if grant not in seen:
            seen.add(grant)
            out.append(grant)
    return out


# -- one record's truth ------------------------------------------------------------------------


class _Truth:
    """What a record is, before any layout writes it."""

    __slots__ = (
        "index",
        "ncj",
        "title",
        "generic",
        "authors",
        "corporate",
        "editors",
        "journal",
        "date",
        "length",
        "annotation",
        "abstract",
        "abstract_source",
        "grants",
        "sponsors",
        "formats",
        "types",
        "language",
        "country",
        "subjects",
        "links",
        "slug",
        "upper",
        "curly",
        "layout",
        "variant",
    )


def _title_case(text: str) -> str:
    words = text.split(" ")
    out = []
    for n, word in enumerate(words):
        if n and word in _SMALL_WORDS:
            out.append(word)
        else:
            out.append("-".join(p[:1].upper() + p[1:] for p in word.split("-")))
    return " ".join(out)


def _slug(title: str) -> str:
    """The ojp.gov URL slug: lower case, stop words dropped, cut at a word near 68 characters."""
    text = re.sub(r"['’]", "", title.lower())
    words = [w for w in re.split(r"[^a-z0-9]+", text) if w and w not in _SLUG_STOP]
    slug = ""
    for word in words:
        if len(slug) + len(word) + 1 > 68:
            break
        slug = f"{slug}-{word}" if slug else word
    return slug or "untitled"


def _year_for(ncj: int) -> int:
    for (n0, y0), (n1, y1) in itertools.pairwise(_NCJ_YEARS):
        if ncj < n1:
            return round(y0 + (y1 - y0) * (ncj - n0) / (n1 - n0))
    return _NCJ_YEARS[-1][1]


def _title(rng: random.Random, year: int) -> tuple[str, bool]:
    """A title and whether it is a generic one that many records share."""
    if rng.random() < 0.02:
        return rng.choice(_GENERIC_TITLES), True
    topic = _title_case(rng.choice(_TOPICS))
    topic2 = _title_case(rng.choice(_TOPICS))
    place = rng.choice(_PLACES)
    place = place[4:] if place.startswith("the ") else place
    form = rng.randrange(14)
    if form == 0:
        title = f"{topic} in {place}"
    elif form == 1:
        title = f"{topic}: {rng.choice(_SUBTITLES)}"
    elif form == 2:
        title = f"Evaluation of the {place} {rng.choice(_PROGRAMS)}"
    elif form == 3:
        title = f"{topic} Among {_title_case(rng.choice(_POPULATIONS))}: {rng.choice(_SUBTITLES)}"
    elif form == 4:
        title = f"The Impact of {topic} on {_title_case(rng.choice(_OUTCOMES))} in {place}"
    elif form == 5:
        title = f"{place} {rng.choice(_PROGRAMS)}: {rng.choice(_SUBTITLES)}"
    elif form == 6:
        y1 = year - rng.randint(2, 6)
        title = f"{topic} in {place}, {y1}-{y1 + rng.randint(1, 3)}"
    elif form == 7:
        title = f"{topic} and {topic2}: {rng.choice(_SUBTITLES)}"
    elif form == 8:
        title = f"National Evaluation of the {rng.choice(_PROGRAMS)} in {place}"
    elif form == 9:
        title = f"Survey of {topic} Practices in {place}"
    elif form == 10:
        title = f"{topic} -- {rng.choice(_SUBTITLES)} ({place}, {year - rng.randint(0, 3)})"
    elif form == 11:
        title = f"Making {topic} Count: {rng.choice(_SUBTITLES)}"
    elif form == 12:
        title = f"{topic}, {topic2}, and {_title_case(rng.choice(_OUTCOMES))} in {place}"
    else:
        title = f"Preventing {topic} Through {topic2}: {rng.choice(_SUBTITLES)}"
    return title, False


_SLOT_WORDS = {
    "topic": _TOPICS,
    "population": _POPULATIONS,
    "place": _PLACES,
    "doctype": _DOCTYPES,
    "field": _FIELDS,
    "practitioners": _PRACTITIONERS,
    "outcome": _OUTCOMES,
    "units": _UNITS,
    "method": _METHODS,
    "finding": _FINDINGS,
    "problem": _PROBLEMS,
    "recommendation": _RECOMMENDATIONS,
    "appendix": _APPENDIXES,
}


def _fill(rng: random.Random, template: str, year: int) -> str:
    """Fill a sentence template; only the slots it names are drawn."""
    values: dict[str, object] = {}
    for slot in re.findall(r"{(\w+)}", template):
        if slot in values:
            continue
        base = slot.rstrip("0123456789")
        words = _SLOT_WORDS.get(base)
        if words is not None:
            value = rng.choice(words)
            while value in values.values():  # "topic, topic2, and topic3" name three things
                value = rng.choice(words)
            values[slot] = value
        elif slot == "n2":  # "in {n2} States"
            values[slot] = rng.randint(2, 50)
        elif slot == "k2":  # "Part {k} ...; part {k2} ..."
            values[slot] = int(values.get("k", 1)) + 1
        elif slot == "n3":  # "{n} of {n3}": the whole is larger than the part
            values[slot] = int(values.get("n", 0)) + rng.randint(5, 200)
        elif base == "n":
            values[slot] = rng.choice((rng.randint(3, 30), rng.randint(31, 900)))
        elif base == "k":
            values[slot] = rng.randint(2, 6)
        elif base == "pct":
            values[slot] = rng.randint(4, 71)
        elif slot == "y1":
            values[slot] = year - rng.randint(4, 12)
        elif slot == "y2":
            values[slot] = int(values.get("y1", year - 4)) + rng.randint(1, 3)
        else:  # a slot a template names that has no word list is a bug in the templates
            raise KeyError(slot)
    text = template.format(**values)
    return text[0].upper() + text[1:]


def _abstract(rng: random.Random, year: int) -> tuple[str, str | None]:
    """An abstract of 100-400 words and its source note ('Published Abstract Provided')."""
    target = int(rng.triangular(100, 400, 170))
    sentences: list[str] = []
    words = 0
    for template in rng.sample(_SENTENCES, len(_SENTENCES)):  # no sentence twice
        if words >= target:
            break
        sentence = _fill(rng, template, year)
        sentences.append(sentence)
        words += sentence.count(" ") + 1
    roll = rng.random()
    source = None
    if roll < 0.12:
        source = "Published Abstract Provided"
    elif roll < 0.17:
        source = "Author abstract modified"
    else:
        closing = rng.choice(_CLOSINGS).format(n=rng.randint(4, 90), m=rng.randint(1, 12))
        if rng.random() < 0.7:
            sentences.append(closing)
    return " ".join(sentences), source


def _make_truth(world: _World, i: int) -> _Truth:
    """Record `i`: every value drawn from its own Random, so any worker can make it."""
    rng = random.Random(f"{world.seed}/{i}")
    t = _Truth()
    t.index = i
    ncj = 1000 + i * world.stride + rng.randrange(world.stride)
    t.ncj = str(ncj)
    roll = rng.random()
    t.layout, t.variant = next(
        (layout, variant)
        for (layout, variant, _), cum in zip(_LAYOUT_SHARES, _LAYOUT_CUM, strict=True)
        if roll < cum or cum == _LAYOUT_CUM[-1]
    )
    year = max(1966, _year_for(ncj) - rng.choice((0, 0, 0, 1, 1, 2, 3)))
    precision = rng.random()
    if precision < 0.02:
        t.date = None  # "Date Published / Unknown"
    elif precision < 0.47 or year < 1980:
        t.date = (year, None, None)
    elif precision < 0.9:
        t.date = (year, rng.randint(1, 12), None)
    else:
        t.date = (year, rng.randint(1, 12), rng.randint(1, 28))

    t.title, t.generic = _title(rng, year)
    chapter = not t.generic and rng.random() < 0.04
    t.upper = year < 1979 and rng.random() < 0.35  # early abstracts were keyed in capitals
    t.curly = rng.random() < 0.5  # the ojp.gov pages write ’ where the old ones wrote '

    n_authors = rng.choices(
        (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14),
        weights=(10, 40, 22, 12, 6, 4, 1.5, 1.2, 0.8, 0.6, 0.4, 0.2, 0.15, 0.1, 0.08),
    )[0]
    t.authors = world.persons.draw_distinct(rng, n_authors)
    t.corporate = (
        [world.corporate.draw(rng)]
        if (n_authors == 0 and rng.random() < 0.7) or (rng.random() < 0.06)
        else []
    )
    t.editors = world.persons.draw_distinct(rng, rng.randint(1, 3)) if rng.random() < 0.05 else []

    t.journal = None
    if not chapter and rng.random() < 0.35:
        name, start = world.journals.draw(rng)
        for _ in range(6):  # a journal that had begun by then, mostly
            if start <= year:
                break
            name, start = world.journals.draw(rng)
        volume = str(max(1, year - start + 1)) if rng.random() < 0.92 else None
        issue = str(rng.randint(1, 12)) if rng.random() < 0.85 else None
        first = rng.randint(1, 600)
        span = rng.randint(1, 30)
        pages = f"{first}-{first + span}"
        if rng.random() < 0.05:
            pages = f"{first},{first + 7}-{first + 7 + span}"
        if t.date and t.date[1] and rng.random() < 0.8:
            dated = f"{_MONTHS[t.date[1] - 1]} {year}"
        elif rng.random() < 0.3:
            dated = f"{rng.choice(_SEASONS)} {year}"
        elif rng.random() < 0.2:
            m = rng.randint(0, 10)
            dated = f"{_MONTHS[m]}/{_MONTHS[m + 1]} {year}"
        else:
            dated = str(year)
        t.journal = (name, volume, issue, pages, dated)
        t.length = span + 1
    elif chapter:
        first = rng.randint(1, 300)
        span = rng.randint(3, 40)
        editor = world.persons.draw(rng)
        book = _title_case(rng.choice(_TOPICS)) + ": " + rng.choice(_SUBTITLES)
        cite = " -- See" if rng.random() < 0.5 else " - See"
        t.title += (
            f" (From {book}, P {first}-{first + span}, {year}, {editor}, ed.{cite} "
            f"NCJ-{max(1, ncj - rng.randint(1, 30))})"
        )
        t.length = span + 1
    else:
        t.length = int(rng.lognormvariate(3.3, 1.0)) + 1
    if rng.random() < 0.03:
        t.length = None
    t.slug = _slug(t.title) + (f"-{rng.randint(0, 5)}" if t.generic else "")

    t.annotation = _fill(rng, rng.choice(_ANNOTATIONS), year) if rng.random() < 0.97 else None
    if rng.random() < 0.05:
        t.abstract, t.abstract_source = None, None
    else:
        t.abstract, t.abstract_source = _abstract(rng, year)

    n_sponsors = rng.choices((0, 1, 2), weights=(50, 43, 7))[0]
    t.sponsors = world.agencies.draw_distinct(rng, n_sponsors)
    t.grants = []
    if any(a[1] in _GRANTING for a in t.sponsors) and rng.random() < 0.75:
        era = 1965 + (max(1966, year - rng.randint(0, 3)) - 1965) // 5 * 5
        t.grants = world.grants[min(era, 2020)].draw_distinct(rng, 1 if rng.random() < 0.9 else 2)
    t.types = world.types.draw_distinct(rng, 1 if rng.random() < 0.85 else 2)
    t.formats = (
        ["Article"]
        if t.journal
        else world.formats.draw_distinct(rng, 1 if rng.random() < 0.9 else 2)
    )
    t.language = rng.choice(_LANGUAGES)
    t.country = rng.choice(_COUNTRIES)
    t.subjects = world.subjects.draw_distinct(rng, rng.randint(2, 8))
    t.links = []
    if rng.random() < 0.3:
        folder = (t.sponsors[0][1] or "Digitization").lower() if t.sponsors else "Digitization"
        t.links.append(("PDF", f"https://www.ojp.gov/pdffiles1/{folder}/{ncj}.pdf", "download"))
        if rng.random() < 0.06:
            t.links.append(
                (
                    "DATASET 1",
                    f"https://www.icpsr.umich.edu/web/NACJD/studies/{rng.randint(2000, 39999)}",
                    "dataset",
                )
            )
    return t


# -- writing a record in each layout ---------------------------------------------------------

_MODERN_HEADER = (
    "U.S. flag\n\nAn official website of the United States government, Department of Justice.\n\n"
)
_NCJRS_BANNER = (
    "NCJRS Virtual Library\n\nThe Virtual Library houses over 235,000 criminal justice resources, "
    "including all known OJP works.\nClick here to search the NCJRS Virtual Library\n\n"
)
_REGISTER_HEADER = (
    "skip navigation\n\n\nRegister for Latest Research\n\nStay Informed\nRegister with NCJRS to "
    "receive NCJRS's biweekly e-newsletter JUSTINFO and additional periodic emails from NCJRS and "
    "the NCJRS federal sponsors that highlight the latest research published or sponsored by the "
    "Office of Justice Programs.\n\nNCJRS Abstract\n\n"
)
_REGISTER_INTRO = (
    "The document referenced below is part of the NCJRS Virtual Library collection. To conduct "
    "further searches of the collection, visit the Virtual Library. See the Obtain Documents page "
    "for direction on how to access resources online, via mail, through interlibrary loans, or in "
    "a local library.\n\n\n"
)
_ABSTRACTDB_HEADER = (
    "skip navigation\n\n\nAbstract Database\n\nRegister for Latest Research\n\nStay Informed\n"
    "Register with NCJRS to receive NCJRS's biweekly e-newsletter JUSTINFO and additional periodic "
    "emails from NCJRS and the NCJRS federal sponsors that highlight the latest research published "
    "or sponsored by the Office of Justice Programs.\n\nNCJRS Abstract\n\nTo download this "
    'abstract, check the box next to the NCJ number then click the "Back To Search Results" '
    'link. Then, click the "Download" button on the Search Results page. Also see the Obtain '
    "Documents page for direction on how to access resources online, via mail, through "
    "interlibrary loans, or in a local library.\n\n\n"
)
_JUSTINFO_HEADER = (
    "skip navigation\n\nJustinfo Subscribe to Stay Informed\n\nAdd your conference to our Justice "
    "Events calendar\n\n\nNCJRS Abstract\n\n\nSubscribe to Stay Informed\nWant to be in the know? "
    "JUSTINFO is a biweekly e-newsletter containing information about new publications, events, "
    "training, funding opportunities, and Web-based resources available from the NCJRS Federal "
    "sponsors. Sign up to get JUSTINFO in your inbox.\n\nThe document referenced below is part of "
    "the NCJRS Library collection.\nTo conduct further searches of the collection, visit the NCJRS "
    "Abstracts Database.\n\nHow to Obtain Documents\n"
)


def _site_id(ncj: int) -> int:
    """The id= in old ncjrs.gov URLs: the NCJ number until about 200000, an internal id after."""
    return ncj if ncj < 200_000 else ncj + 21_400 + (ncj - 200_000) // 60


def _date_text(date: tuple | None, style: str) -> str | None:
    if date is None:
        return None
    year, month, day = date
    if month is None:
        return str(year)
    if style == "numeric":  # the justinfo pages: "11/2006"
        return f"{month:02d}/{year}" if day is None else f"{month:02d}/{day:02d}/{year}"
    if day is None:
        return f"{_MONTHS[month - 1]} {year}"
    return f"{_MONTHS[month - 1]} {day}, {year}"


def _prose(t: _Truth, text: str, *, curly: bool) -> str:
    if t.upper:
        text = text.upper()
    return text.replace("'", "’") if curly and t.curly else text


def _abstract_with_source(t: _Truth) -> str | None:
    if t.abstract is None:
        return None
    return f"{t.abstract} ({t.abstract_source})" if t.abstract_source else t.abstract


def _journal_modern(t: _Truth, rng: random.Random) -> str:
    name, volume, issue, pages, dated = t.journal
    parts = [name]
    if volume:
        parts.append(f"Volume: {volume}")
    if issue:
        parts.append(f"Issue: {issue}")
    year = t.date[0] if t.date else 2000
    parts.append(f"Dated: ({dated})" if year < 1990 and rng.random() < 0.5 else f"Dated: {dated}")
    parts.append(f"Pages: {pages}")
    return " ".join(parts)


def _journal_aspx(t: _Truth, rng: random.Random) -> str:
    name, volume, issue, pages, dated = t.journal
    parts = [f"Journal: {name}"]
    if volume:
        parts.append(f"Volume:{volume}")
    if issue:
        parts.append(f"Issue:{issue}")
    year = t.date[0] if t.date else 2000
    if year < 2000 and rng.random() < 0.7:
        dated = f"special issue ({dated})" if rng.random() < 0.05 else f"({dated})"
    parts.append(f"Dated:{dated}")
    parts.append(f"Pages:{pages}")
    return "  ".join(parts)


def _corporate_name(entity: tuple) -> str:
    name, acronym, _ = entity
    return f"{name} ({acronym})" if acronym else name


def _agency_name(agency: tuple) -> str:
    name, acronym, _, _ = agency
    return f"{name} ({acronym})" if acronym else name


def _render_modern(t: _Truth, rng: random.Random, variant: str) -> tuple[str, str]:
    """The ojp.gov abstract page, labelled: seeds/ncj-190553.txt, ncj-223806.txt, ncj-3407.txt."""
    if variant == "bare":
        url = f"https://ojp.gov./ncjrs/virtual-library/abstracts/{t.slug}"
    else:
        roll = rng.random()
        if roll < 0.12:
            url = f"https://www.ncjrs.gov/App/Publications/abstract.aspx?ID={_site_id(int(t.ncj))}"
        else:
            host = "www.ojp.gov" if roll < 0.45 else "ojp.gov"
            url = f"https://{host}/ncjrs/virtual-library/abstracts/{t.slug}"
    out = [f"# source: {url}\n"]
    if variant != "bare":
        out.append(_MODERN_HEADER + _NCJRS_BANNER + f"{t.title}\n\n")
    out.append(f"NCJ Number\n{t.ncj}\n")
    if t.journal:
        out.append(f"Journal\n{_journal_modern(t, rng)}\n")
    if t.authors:
        out.append("Author(s)\n" + _prose(t, "; ".join(t.authors), curly=True) + "\n")
    if t.editors:
        out.append("Editor(s)\n" + ",\n".join(t.editors) + "\n")
    out.append(f"Date Published\n{_date_text(t.date, 'words') or 'Unknown'}\n")
    if t.length is not None:
        out.append(f"Length\n{t.length} pages\n")
    if t.annotation:
        out.append(f"Annotation\n{_prose(t, t.annotation, curly=True)}\n")
    abstract = _abstract_with_source(t)
    if abstract:
        if rng.random() < 0.04 and ". " in abstract:  # a page that set the abstract in paragraphs
            head, tail = abstract.split(". ", 1)
            head, tail = _prose(t, head, curly=True), _prose(t, tail, curly=True)
            out.append(f"Abstract\n\n{head}.\n\n{tail}\n")
        else:
            out.append(f"Abstract\n{_prose(t, abstract, curly=True)}\n")
    if rng.random() < 0.5:  # the side panel, when the capture kept it
        out.append("\nDownloads\n\n")
        out.append("Download PDF\n\n" if t.links else "No download available\n\n")
        out.append("Availability\n\n")
        if t.grants:
            out.append("Grant Number(s)\n" + "\n".join(t.grants) + "\n")
        for agency in t.sponsors:
            address = ", ".join(agency[2]) + f", {agency[3]}"
            out.append(f"Sponsoring Agency\n{_agency_name(agency)}\n\n{address}\n\n")
        out.append("Publication Format\n" + "\n".join(t.formats) + "\n")
        out.append("Publication Type\n" + "\n".join(t.types) + "\n")
        out.append(f"Language\n{t.language}\nCountry\n{t.country}\n")
    return url, "".join(out)


def _render_lossy(t: _Truth, rng: random.Random, variant: str) -> tuple[str, str, bool]:
    """The scraped page whose labels lost their values: seeds/000_*.txt, ncj-100895-lossy.txt.

    Returns the URL, the text, and whether the date survived.
    """
    if variant == "library":
        url = f"https://www.ojp.gov/library/publications/{t.slug}"
        out = [f"# source: {url}\n", _MODERN_HEADER, f"{t.title}\n\n"]
    else:
        url = f"https://ojp.gov/ncjrs/virtual-library/abstracts/{t.slug}"
        out = [f"# source: {url}\n", _MODERN_HEADER, _NCJRS_BANNER, f"{t.title}\n\n"]
    out.append("NCJ Number\n")
    if t.journal:
        name, volume, issue, pages, dated = t.journal
        out.append(
            f"{_journal_modern(t, rng)}\n" if rng.random() < 0.5 else f"{name} Dated: {dated}\n"
        )
    if t.authors:
        out.append(_prose(t, "; ".join(t.authors), curly=True) + "\n")
    out.append("Date Published\n")
    date_kept = t.date is not None and rng.random() < 0.5
    if date_kept:
        out.append(f"{_date_text(t.date, 'words')}\n")
    if t.length is not None:
        out.append(f"{t.length} pages\n")
    spaced = rng.random() < 0.5
    if t.annotation:
        out.append(("\n" if spaced else "") + _prose(t, t.annotation, curly=True) + "\n")
    abstract = _abstract_with_source(t)
    if abstract:
        out.append(("\n\n" if spaced else "") + _prose(t, abstract, curly=True) + "\n")
    if variant == "library":
        if t.date:
            year, month, day = t.date
            out.append(f"\nDate Published: {_MONTHS[(month or 1) - 1]} {day or 1}, {year}\n")
    elif t.sponsors and rng.random() < 0.6:
        out.append("\nGrant Number(s)\n")
        for agency in t.sponsors:
            address = ", ".join(agency[2]) + f", {agency[3]}"
            out.append(f"Sponsoring Agency\n{_agency_name(agency)}\n\n{address}\n\n")
        out.append("Publication Format\nPublication Type\n" + "\n".join(t.types) + "\n")
        out.append(t.country)  # the captures end here, without a newline
    else:
        out.append("\n\nNo download available\n\n")
    return url, "".join(out), date_kept


def _render_aspx(t: _Truth, rng: random.Random, variant: str) -> tuple[str, str]:
    """The old ncjrs.gov `Label: value` pages: seeds/ncj-126413-abstractaspx.txt and kin."""
    site_id = _site_id(int(t.ncj))
    if variant == "register":
        url = f"https://www.ncjrs.gov/App/publications/Abstract.aspx?id={site_id}"
        out = [f"# source: {url}\n", _REGISTER_HEADER, _REGISTER_INTRO]
    elif variant == "abstractdb":
        url = f"https://www.ncjrs.gov/App/abstractdb/AbstractDBDetails.aspx?id={site_id}"
        out = [f"# source: {url}\n", _ABSTRACTDB_HEADER]
    else:
        url = f"https://www.ncjrs.gov/App/Publications/abstract.aspx?ID={site_id}"
        out = [f"# source: {url}\n", _JUSTINFO_HEADER]
    justinfo = variant == "justinfo"
    if justinfo:
        out.append(f"NCJ Number: NCJ {t.ncj}   Add to Shopping cart   Find in a Library\n")
    elif rng.random() < 0.4:
        out.append(f"NCJ Number: {t.ncj} Add to Shopping cart Find in a Library\n")
    else:
        out.append(f"NCJ Number: {t.ncj} Find in a Library\n")
    out.append(f"Title: {t.title}\n")
    if justinfo:
        for label, _, rel in t.links:
            out.append(
                f"  Dataset URL: {label}\n" if rel == "dataset" else f"  Document URL: {label} \n"
            )
    if t.journal:
        out.append(_journal_aspx(t, rng) + "\n")
    sep = " ; " if justinfo else "; "
    if t.authors:
        out.append(f"Author(s): {sep.join(t.authors)}\n")
    if t.editors:
        out.append(f"Editor(s): {sep.join(t.editors)}\n")
    for entity in t.corporate:
        lines = [_corporate_name(entity), *entity[2], "United States of America"]
        out.append("Corporate Author: " + "\n".join(lines) + "\n")
    date = _date_text(t.date, "numeric" if justinfo else "words")
    if date:
        out.append(f"Date Published: {date}\n")
    if t.length is not None:
        out.append(f"Page Count: {t.length}\n")

    agency_block: list[str] = []
    if t.sponsors:
        lines = []
        for agency in t.sponsors:
            lines += [_agency_name(agency), agency[2][-1]]
        agency_block.append("Sponsoring Agency: " + "\n".join(lines) + "\n")
    if t.grants:
        agency_block.append("Grant Number: " + "; ".join(t.grants) + "\n")
    if rng.random() < 0.35:
        agency_block.append(
            "Sale Source: NCJRS Photocopy Services\nBox 6000\n"
            "Rockville, MD 20849-6000\nUnited States of America\n"
        )
    if t.links and not justinfo:
        agency_block.append("Document: PDF\n")
    agency_block.append("Type: " + "; ".join(t.types) + "\n")
    if rng.random() < 0.7:
        agency_block.append("Format: " + "; ".join(t.formats) + "\n")
    agency_block.append(f"Language: {t.language}\nCountry: {t.country}\n")

    if not justinfo:
        out += agency_block
    if t.annotation:
        out.append(
            ("  Annotation: " if justinfo else "Annotation: ")
            + _prose(t, t.annotation, curly=False)
            + "\n"
        )
    abstract = _abstract_with_source(t)
    if abstract:
        out.append(f"Abstract: {_prose(t, abstract, curly=False)}\n")
    if justinfo:
        out += agency_block
    out.append(f"Main Term(s): {t.subjects[0]}\n")
    if len(t.subjects) > 1:
        out.append("Index Term(s): " + " ; ".join(t.subjects[1:]) + "\n")
    return url, "".join(out)


def _jsonl_object(t: _Truth) -> dict:
    name, volume, issue, pages, dated = t.journal or (None, None, None, None, None)
    date = None
    if t.date:
        year, month, day = t.date
        date = (
            f"{year:04d}"
            if month is None
            else (f"{year:04d}-{month:02d}" if day is None else f"{year:04d}-{month:02d}-{day:02d}")
        )
    values = {
        "ncj": t.ncj,
        "title": t.title,
        "authors": list(t.authors),
        "corporate_authors": [_corporate_name(c) for c in t.corporate],
        "editors": list(t.editors),
        "journal": name,
        "volume": volume,
        "issue": issue,
        "pages": pages,
        "dated": dated,
        "date_published": date,
        "length": t.length,
        "annotation": t.annotation,
        "abstract": t.abstract,
        "abstract_source": t.abstract_source,
        "grants": list(t.grants),
        "sponsors": [{"name": a[0], "acronym": a[1], "address": [*a[2], a[3]]} for a in t.sponsors],
        "formats": list(t.formats),
        "types": list(t.types),
        "language": t.language,
        "country": t.country,
        "subjects": list(t.subjects),
        "links": [{"label": label, "url": url, "rel": rel} for label, url, rel in t.links],
        "source_url": f"https://www.ojp.gov/ncjrs/virtual-library/abstracts/{t.slug}",
    }
    return {name: values[name] for name in JSONL_FIELDS}


def _truth_values(t: _Truth) -> dict:
    """The sample's full truth, for manifest.json."""
    first_person = t.authors[0] if t.authors else None
    return {
        "ncj": t.ncj,
        "title": t.title,
        "authors": list(t.authors),
        "first_author": first_person,
        "corporate_authors": [_corporate_name(c) for c in t.corporate],
        "date": _jsonl_object(t)["date_published"],
        "year": t.date[0] if t.date else None,
        "pages": t.length,
        "journal": t.journal[0] if t.journal else None,
    }


def _expected(t: _Truth, layout: str, variant: str, *, date_kept: bool = True) -> dict:
    """What a faithful reader recovers from this layout: only the values the page still shows."""
    truth = _truth_values(t)
    expect = {
        "ncj": truth["ncj"],
        "title": truth["title"],
        "first_author": truth["first_author"],
        "year": truth["year"],
        "pages": truth["pages"],
    }
    if layout == "ojp-modern" and variant == "bare":
        expect["title"] = None  # the bare capture has no title; only the URL slug hints at it
    if layout == "ojp-lossy":
        expect["ncj"] = None  # the label kept, its value lost
        expect["first_author"] = None  # authors stand unlabelled
        if not date_kept:
            expect["year"] = None
        expect["pages"] = None  # "N pages" stands unlabelled
    return expect


# -- damage -------------------------------------------------------------------------------------


# The harvester kept at most this many characters of page text after the `# source:` line and
# ended the file with a newline: the cut seeds' bodies are 1,978-2,000 characters.
CUT_AT = 2000


def _cut_mid_word(body: str) -> str:
    """Cut like the harvester did, at `CUT_AT` characters, moved back to fall inside a word."""
    for p in range(CUT_AT, CUT_AT - 22, -1):
        if body[p - 1].isalpha() and body[p].isalpha():
            return body[:p] + "\n"
    return body[:CUT_AT].rstrip() + "\n"


def _junk(rng: random.Random) -> bytes:
    """Binary junk, like a PDF or an image saved under a .txt name."""
    head = rng.choice(
        (
            b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            b"\x1f\x8b\x08\x00",
            b"PK\x03\x04\x14\x00\x06\x00",
        )
    )
    return head + rng.randbytes(rng.randint(300, 3000))


# -- one folder of records ----------------------------------------------------------------------


@dataclass
class _BlockResult:
    block: int
    by_layout: Counter
    by_variant: Counter
    page_files: int
    page_bytes: int
    jsonl: list[str]  # lines, each ending in "\n"
    broken: list[dict]  # "line" is the line in this block's jsonl list, to be offset
    duplicates: list[dict]
    samples: list[dict]  # likewise


_WORLD: _World | None = None


def _world(seed: int, records: int) -> _World:
    global _WORLD
    if _WORLD is None or (_WORLD.seed, _WORLD.records) != (seed, records):
        _WORLD = _World(seed, records)
    return _WORLD


def _render(seed: int, t: _Truth, layout: str, variant: str) -> tuple[str, str, bool]:
    """A record as one page: URL, text, whether the date survived. The same every call."""
    rng = random.Random(f"{seed}/{t.index}/{layout}/{variant}")
    if layout == "ojp-modern":
        return (*_render_modern(t, rng, variant), True)
    if layout == "ojp-lossy":
        return _render_lossy(t, rng, variant)
    return (*_render_aspx(t, rng, variant), True)


def _page_name(t: _Truth, url: str, layout: str) -> str:
    digest = hashlib.sha1(f"{layout} {url}".encode()).hexdigest()[:16]
    return f"{t.index % RECORDS_PER_FOLDER:03d}_{digest}.txt"


def _write_block(job: tuple[Path, int, int, int, int]) -> _BlockResult:
    """Write folder `block` (records block*1000 .. +999): its pages, and return its JSON lines."""
    out_dir, seed, records, block, sample_every = job
    world = _world(seed, records)
    start = block * RECORDS_PER_FOLDER
    stop = min(records, start + RECORDS_PER_FOLDER)
    truths = [_make_truth(world, i) for i in range(start, stop)]

    plan = random.Random(f"{seed}/block/{block}")
    free = [t for t in truths if t.index % sample_every]  # samples stay whole and single
    plan.shuffle(free)
    damage: dict[int, str] = {}
    twins: dict[int, tuple[str, str]] = {}
    pages = [t for t in free if t.layout != "jsonl"]
    lines = [t for t in free if t.layout == "jsonl"]
    for kind, pool in (("empty", pages), ("binary", pages), ("bad-json", lines)):
        for t in pool:
            if t.index not in damage:
                damage[t.index] = kind
                break
    for t in pages:  # only a page longer than the harvester kept can be cut
        if t.index not in damage and len(_render(seed, t, t.layout, t.variant)[1]) > CUT_AT + 150:
            damage[t.index] = "truncated"
            break
    modern = [t for t in pages if t.layout == "ojp-modern" and t.index not in damage]
    second = (
        ("abstract-aspx", "register"),
        ("ojp-lossy", "virtual-library"),
        ("abstract-aspx", "abstractdb"),
        ("abstract-aspx", "justinfo"),
    )
    for t in modern[:2]:
        twins[t.index] = plan.choice(second)

    folder = out_dir / "pages" / f"{block:04d}"
    folder.mkdir(parents=True, exist_ok=True)
    result = _BlockResult(block, Counter(), Counter(), 0, 0, [], [], [], [])
    for t in truths:
        result.by_layout[t.layout] += 1
        result.by_variant[f"{t.layout}/{t.variant}"] += 1
        kind = damage.get(t.index)
        if t.layout == "jsonl":
            text = json.dumps(_jsonl_object(t), ensure_ascii=False)
            if kind == "bad-json":
                text = text[: len(text) * 3 // 5]  # the export stopped mid-object
                result.broken.append(
                    {
                        "file": None,
                        "line": len(result.jsonl),
                        "kind": kind,
                        "ncj": t.ncj,
                        "layout": t.layout,
                    }
                )
            if t.index % sample_every == 0:
                result.samples.append(_sample(t, "jsonl", "jsonl", None, len(result.jsonl)))
            result.jsonl.append(text + "\n")
            continue
        files = [(t.layout, t.variant)]
        if t.index in twins:
            files.append(twins[t.index])
        written = []
        for n, (layout, variant) in enumerate(files):
            url, text, date_kept = _render(seed, t, layout, variant)
            name = _page_name(t, url, layout)
            rel = f"pages/{block:04d}/{name}"
            data = text.encode("utf-8")
            if n == 0 and kind is not None:
                if kind == "empty":
                    data = b""
                elif kind == "binary":
                    data = _junk(random.Random(f"{seed}/{t.index}/junk"))
                else:  # truncated: the capture kept 2,000 characters of the page
                    first, body = text.split("\n", 1)
                    data = (first + "\n" + _cut_mid_word(body)).encode()
                result.broken.append(
                    {"file": rel, "line": None, "kind": kind, "ncj": t.ncj, "layout": layout}
                )
            (folder / name).write_bytes(data)
            result.page_files += 1
            result.page_bytes += len(data)
            written.append({"file": rel, "layout": layout, "variant": variant})
            if n == 0 and t.index % sample_every == 0:
                result.samples.append(_sample(t, layout, variant, rel, None, date_kept=date_kept))
        if len(written) > 1:
            result.duplicates.append({"ncj": t.ncj, "captures": written})
    return result


def _sample(
    t: _Truth,
    layout: str,
    variant: str,
    rel: str | None,
    line: int | None,
    *,
    date_kept: bool = True,
) -> dict:
    return {
        "index": t.index,
        "layout": layout,
        "variant": variant,
        "file": rel,
        "line": line,
        "expect": _expected(t, layout, variant, date_kept=date_kept),
        "truth": _truth_values(t),
    }


# -- the corpus -----------------------------------------------------------------------------------


def write_corpus(
    out_dir: Path,
    *,
    records: int,
    seed: int = 0,
    workers: int = 1,
    sample_every: int = 1000,
    overwrite: bool = False,
) -> SynthSummary:
    """Write `records` synthetic NCJRS records under `out_dir` and describe them in manifest.json.

    Pages go to ``pages/NNNN/`` (1,000 records a folder, named like the harvester's
    ``000_7b2de9bc7c974c8c.txt``), JSON Lines to ``jsonl/records-NNN.jsonl``. `workers` processes
    share the folders; the bytes written do not depend on it. Every `sample_every`-th record is
    kept whole and single and its expected values go to the manifest. An existing corpus in
    `out_dir` is refused unless `overwrite`.

    >>> summary = write_corpus(Path("corpus"), records=250_000, seed=7, workers=2)  # doctest: +SKIP
    """
    if records < 1:
        raise ConfigError(f"records must be at least 1, not {records}")
    if sample_every < 1:
        raise ConfigError(f"sample_every must be at least 1, not {sample_every}")
    out_dir = Path(out_dir)
    existing = [out_dir / "pages", out_dir / "jsonl", out_dir / "manifest.json"]
    if any(p.exists() for p in existing):
        if not overwrite:
            raise ConfigError(
                "a corpus is already there; pass overwrite to replace it", file=str(out_dir)
            )
        for p in existing:
            if p.is_dir():
                shutil.rmtree(p)
            elif p.exists():
                p.unlink()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "jsonl").mkdir()
    started = time.perf_counter()

    blocks = (records + RECORDS_PER_FOLDER - 1) // RECORDS_PER_FOLDER
    jobs = [(out_dir, seed, records, b, sample_every) for b in range(blocks)]
    by_layout: Counter = Counter()
    by_variant: Counter = Counter()
    broken: list[dict] = []
    duplicates: list[dict] = []
    samples: list[dict] = []
    page_files = page_bytes = jsonl_bytes = jsonl_lines = 0
    jsonl_names: list[str] = []
    lines_in_file: dict[str, int] = {}

    for result in _run(jobs, workers=workers):
        by_layout.update(result.by_layout)
        by_variant.update(result.by_variant)
        page_files += result.page_files
        page_bytes += result.page_bytes
        duplicates += result.duplicates
        rel = f"jsonl/records-{result.block // FOLDERS_PER_JSONL:03d}.jsonl"
        base = lines_in_file.get(rel, 0)
        if result.jsonl:
            if rel not in lines_in_file:
                jsonl_names.append(rel)
            with open(out_dir / rel, "a", encoding="utf-8", newline="\n") as handle:
                handle.writelines(result.jsonl)
            lines_in_file[rel] = base + len(result.jsonl)
            jsonl_lines += len(result.jsonl)
            jsonl_bytes += sum(len(line.encode("utf-8")) for line in result.jsonl)
        for item in result.broken + result.samples:
            if item["line"] is not None:  # 1-based line in the .jsonl file
                item["file"], item["line"] = rel, base + item["line"] + 1
        broken += result.broken
        samples += result.samples

    broken_by_kind = {kind: sum(1 for b in broken if b["kind"] == kind) for kind in BROKEN_KINDS}
    summary = SynthSummary(
        out_dir=str(out_dir),
        seed=seed,
        records=records,
        files=page_files + len(jsonl_names),
        page_files=page_files,
        jsonl_files=len(jsonl_names),
        jsonl_lines=jsonl_lines,
        bytes=page_bytes + jsonl_bytes,
        by_layout={k: by_layout[k] for k in LAYOUTS},
        by_variant=dict(sorted(by_variant.items())),
        duplicates=len(duplicates),
        broken=len(broken),
        broken_by_kind=broken_by_kind,
        samples=len(samples),
    )
    manifest = {
        "generator": "kg.synth",
        "version": 1,
        "seed": seed,
        "records": records,
        "sample_every": sample_every,
        "counts": {
            "files": summary.files,
            "page_files": page_files,
            "jsonl_files": len(jsonl_names),
            "jsonl_lines": jsonl_lines,
            "bytes": summary.bytes,
            "by_layout": summary.by_layout,
            "by_variant": summary.by_variant,
            "duplicates": summary.duplicates,
            "broken": summary.broken,
            "broken_by_kind": broken_by_kind,
        },
        "jsonl_fields": list(JSONL_FIELDS),
        "jsonl_files": jsonl_names,
        "broken": broken,
        "duplicates": duplicates,
        "samples": samples,
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=1) + "\n"
    (out_dir / "manifest.json").write_text(text, encoding="utf-8")
    summary.seconds = round(time.perf_counter() - started, 2)
    return summary


def _run(jobs: list[tuple], *, workers: int) -> Iterator[_BlockResult]:
    """The blocks' results in block order, from this process or from `workers` processes."""
    if workers <= 1 or len(jobs) <= 1:
        yield from map(_write_block, jobs)
        return
    workers = min(workers, len(jobs), os.cpu_count() or 1)
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        yield from pool.imap(_write_block, jobs, chunksize=1)
