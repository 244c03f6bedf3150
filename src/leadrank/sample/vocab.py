"""Word lists of the sample workspace: names by culture, company name parts, industries, titles."""

from __future__ import annotations

import unicodedata
from typing import NamedTuple


def words(text: str) -> tuple[str, ...]:
    """Whitespace-separated words; "_" stands for a space inside one ("de_Vries")."""
    return tuple(word.replace("_", " ") for word in text.split())


def ascii_fold(text: str) -> str:
    """Lowercase ASCII letters of a name, as mail servers and URL slugs spell it."""
    text = text.replace("ß", "ss").replace("Æ", "Ae").replace("æ", "ae")
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum() or ch in " -")


class Culture(NamedTuple):
    """First and last names common in one culture."""

    key: str
    first: tuple[str, ...]
    last: tuple[str, ...]


CULTURES: tuple[Culture, ...] = (
    Culture(
        "anglo",
        words(
            "James Mary John Patricia Robert Jennifer Michael Linda David Elizabeth William "
            "Barbara Richard Susan Joseph Jessica Thomas Sarah Chris Karen Daniel Emily Matthew "
            "Olivia Andrew Chloe Ryan Zoë Liam Emma Noah Ava Ethan Grace Jack Megan Oliver Hannah "
            "Connor Siobhan Renée"
        ),
        words(
            "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore "
            "Martin Jackson Thompson White Harris Clark Lewis Robinson Walker Young Allen King "
            "Wright Scott Green Baker Adams Nelson Hill Campbell Mitchell O'Brien O'Connor "
            "McDonald Murphy Kelly Evans Hughes"
        ),
    ),
    Culture(
        "german",
        words(
            "Lukas Leon Finn Jonas Felix Maximilian Paul Elias Jürgen Uwe Klaus Stefan Thomas "
            "Andreas Matthias Tobias Florian Anna Lena Lea Hannah Sophie Marie Katrin Sabine Ute "
            "Jutta Birgit Mareike Jana Annika Sören Jörg Björn Günther Helga"
        ),
        words(
            "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer "
            "Koch Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger "
            "Hofmann Hartmann Lange Schmitt Werner Krause Meier Lehmann Schmid Schulze Maier "
            "Köhler Herrmann Weiß Groß Jäger Böhm Vogel"
        ),
    ),
    Culture(
        "dutch",
        words(
            "Daan Sem Lucas Levi Bram Thijs Jesse Ruben Sven Joris Pieter Maarten Jeroen Sanne "
            "Emma Julia Zoë Fleur Lotte Anouk Eva Fenna Noor Lieke Femke Marloes Ingrid Wouter "
            "Koen Hendrik Bas Floor Mees Ilse"
        ),
        words(
            "de_Jong Jansen de_Vries van_den_Berg van_Dijk Bakker Janssen Visser Smit Meijer "
            "de_Boer Mulder de_Groot Bos Vos Peters Hendriks van_Leeuwen Dekker Brouwer de_Wit "
            "Dijkstra Smits de_Graaf van_der_Meer van_der_Linden Kok Jacobs de_Haan Vermeulen "
            "van_den_Heuvel Willems"
        ),
    ),
    Culture(
        "french",
        words(
            "Jean Pierre Michel André Philippe Nicolas Julien Thomas Antoine Mathieu François "
            "Clément Léo Hugo Théo Louis Gabriel Raphaël Marie Nathalie Isabelle Sophie Camille "
            "Léa Chloé Manon Inès Céline Élodie Hélène Amélie Margaux Anaïs Océane Jean-Luc "
            "Marie-Claire"
        ),
        words(
            "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent "
            "Lefèvre Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André "
            "Lefebvre Mercier Dupont Lambert Bonnet François Martinez Legrand Garnier Faure "
            "Rousseau Blanc Guérin Chevalier"
        ),
    ),
    Culture(
        "spanish",
        words(
            "José Antonio Manuel Francisco Juan David Javier Daniel Carlos Jesús Alejandro Miguel "
            "Rafael Pablo Sergio Álvaro Íñigo María Carmen Ana Isabel Laura Cristina Marta Lucía "
            "Paula Elena Sofía Raquel Nuria Pilar Begoña Ángela Inés"
        ),
        words(
            "García Rodríguez González Fernández López Martínez Sánchez Pérez Gómez Martín "
            "Jiménez Ruiz Hernández Díaz Moreno Muñoz Álvarez Romero Alonso Gutiérrez Navarro "
            "Torres Domínguez Vázquez Ramos Gil Ramírez Serrano Blanco Molina Morales Suárez "
            "Ortega Castro Núñez Iglesias"
        ),
    ),
    Culture(
        "portuguese",
        words(
            "João Pedro Lucas Gabriel Mateus Guilherme Rafael Felipe Gustavo Thiago Bruno Rodrigo "
            "Leonardo Vinícius Caio Luíza Ana Beatriz Mariana Juliana Fernanda Camila Larissa "
            "Letícia Bianca Gabriela Patrícia Renata Vitória Luana Antônio Flávia"
        ),
        words(
            "Silva Santos Oliveira Souza Rodrigues Ferreira Alves Pereira Lima Gomes Costa "
            "Ribeiro Martins Carvalho Almeida Lopes Soares Fernandes Vieira Barbosa Rocha Dias "
            "Nascimento Andrade Moreira Nunes Marques Machado Mendes Freitas Cardoso Araújo "
            "Gonçalves Magalhães Conceição"
        ),
    ),
    Culture(
        "indian",
        words(
            "Aarav Vivaan Aditya Vihaan Arjun Sai Reyansh Krishna Ishaan Rohan Rahul Amit Vikram "
            "Sanjay Rajesh Suresh Anil Deepak Priya Ananya Diya Aadhya Saanvi Pooja Neha Kavya "
            "Divya Shreya Anjali Sneha Lakshmi Meera Nisha Sunita"
        ),
        words(
            "Sharma Verma Gupta Singh Kumar Patel Shah Mehta Iyer Nair Reddy Rao Menon Pillai Das "
            "Bose Chatterjee Banerjee Mukherjee Joshi Kulkarni Desai Jain Agarwal Malhotra Kapoor "
            "Chopra Bhatia Saxena Mishra Pandey Tiwari Srinivasan Krishnan Subramanian"
        ),
    ),
    Culture(
        "chinese",
        words(
            "Wei Jie Hao Yi Jun Ming Lei Chen Tao Bo Xin Yan Li Hui Jing Ying Fang Min Ling Mei "
            "Xiaoming Jiahao Zihan Yuxuan Haoran Zhiwei Junjie Xiaoling Yuting Shuang Kelvin "
            "Jasmine Cheryl Darren"
        ),
        words(
            "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Luo Gao "
            "Tan Lim Ng Lee Goh Ong Teo Chua Koh Tay Chong Yeo Low Sim"
        ),
    ),
    Culture(
        "japanese",
        words(
            "Haruto Yuto Sota Yuki Hayato Haruki Ren Takumi Kenji Takeshi Hiroshi Satoshi Daisuke "
            "Kazuki Ryota Shota Yui Aoi Hina Yuna Sakura Rin Mio Akari Haruka Yoko Keiko Naoko "
            "Tomoko Emi Ayaka Misaki Kaori Shōta Yūki"
        ),
        words(
            "Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto Nakamura Kobayashi Kato Yoshida "
            "Yamada Sasaki Yamaguchi Matsumoto Inoue Kimura Hayashi Shimizu Yamazaki Mori Abe "
            "Ikeda Hashimoto Ishikawa Ogawa Fujita Okada Goto Hasegawa Murakami Kondo Ishii Saito "
            "Sakamoto Ōta"
        ),
    ),
)
CULTURE_KEYS = tuple(culture.key for culture in CULTURES)

# Company names are prefix + root + descriptor ("Bright" "wave" "Analytics").
NAME_PREFIXES = words(
    "Bright Blue Silver North Quantum Iron Clear Swift Nova Red Green Summit Apex Stone Cloud "
    "Data Peak True Open Deep Star Sun Moon Oak Pine Cedar River Lake Harbor Pixel Vector Signal "
    "Bold Core Prime Alpha Omni Hyper Neo Zen Urban Polar Solar Lunar Crystal Golden Rapid Smart "
    "Wise Fair Grand Key Bay Fox Wolf Hawk Eagle Orbit Atlas Tera Ever Maple Coral Amber Velvet "
    "Cobalt Granite Falcon Willow Birch Aspen"
)
NAME_ROOTS = words(
    "wave stack forge works point bridge field gate line path scale shift sight spark stream "
    "sync base bit cast flow grid hub leaf loop mark mind net pulse ray rise scope space sphere "
    "tide tree ware way wind wing zone craft logic fly light stone crest dale ridge port mill "
    "well brook haven vale"
)


class Industry(NamedTuple):
    """An industry: display and vendor labels, share of companies, fit and name descriptors."""

    name: str
    apollo: str
    linkedin: str
    weight: float
    fit: float
    descriptors: tuple[str, ...]


# fmt: off
INDUSTRIES: tuple[Industry, ...] = (
    Industry("Software", "computer software", "Software Development", 0.16, 0.7,
             words("Software Labs Cloud AI Data Analytics Systems")),
    Industry("IT Services", "information technology & services", "IT Services and IT Consulting",
             0.12, 0.5, words("Technologies Solutions Networks Digital Systems")),
    Industry("Financial Services", "financial services", "Financial Services", 0.10, 0.4,
             words("Capital Payments Finance Wealth Partners")),
    Industry("Hospital & Health Care", "hospital & health care", "Hospitals and Health Care",
             0.09, 0.0, words("Health Care Medical Therapeutics Bio")),
    Industry("Manufacturing", "machinery", "Industrial Machinery Manufacturing", 0.10, -0.2,
             words("Manufacturing Industries Materials Engineering Motors")),
    Industry("Retail", "retail", "Retail", 0.08, 0.0, words("Retail Commerce Goods Brands Foods")),
    Industry("Education", "higher education", "Higher Education", 0.06, -0.6,
             words("Learning Academy Education Institute")),
    Industry("Logistics", "logistics & supply chain",
             "Transportation, Logistics, Supply Chain and Storage", 0.06, -0.1,
             words("Logistics Freight Shipping Transport")),
    Industry("Marketing & Advertising", "marketing & advertising", "Advertising Services", 0.07,
             0.3, words("Media Marketing Creative Studios Agency")),
    Industry("Energy", "oil & energy", "Oil and Gas", 0.05, -0.3,
             words("Energy Power Solar Renewables")),
    Industry("Management Consulting", "management consulting", "Business Consulting and Services",
             0.07, 0.1, words("Consulting Advisors Partners Group")),
    Industry("Government Administration", "government administration",
             "Government Administration", 0.04, -0.9, words("Council Agency Authority Foundation")),
)
# fmt: on
