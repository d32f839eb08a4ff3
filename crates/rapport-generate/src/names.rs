//! Embedded tables for realistic fake personal and business data.
//!
//! Names are grouped by naming tradition, and each country draws mostly from
//! its own traditions and partly from all of them, so a data set looks like a
//! real customer base in a diverse society rather than a list of "John Doe"s.
//! Everything that could reach a real person is fictional by construction:
//! e-mail domains are the reserved `example.*` names (RFC 2606), US phone
//! numbers use the 555-01xx range and UK numbers Ofcom's drama ranges.

/// Given names and family names of one naming tradition.
pub struct NameGroup {
    pub female: &'static [&'static str],
    pub male: &'static [&'static str],
    pub last: &'static [&'static str],
}

pub const ANGLO: usize = 0;
pub const IRISH: usize = 1;
pub const GERMAN: usize = 2;
pub const FRENCH: usize = 3;
pub const DUTCH: usize = 4;
pub const SPANISH: usize = 5;
pub const ITALIAN: usize = 6;
pub const POLISH: usize = 7;
pub const TURKISH: usize = 8;
pub const ARABIC: usize = 9;
pub const SOUTH_ASIAN: usize = 10;
pub const CHINESE: usize = 11;
pub const VIETNAMESE: usize = 12;
pub const KOREAN: usize = 13;
pub const JAPANESE: usize = 14;
pub const WEST_AFRICAN: usize = 15;
pub const GREEK: usize = 16;
pub const NORDIC: usize = 17;
pub const PORTUGUESE: usize = 18;

pub const GROUPS: [NameGroup; 19] = [
    NameGroup {
        female: &[
            "Olivia",
            "Emma",
            "Amelia",
            "Sophie",
            "Charlotte",
            "Emily",
            "Grace",
            "Hannah",
            "Jessica",
            "Lucy",
            "Megan",
            "Rachel",
            "Sarah",
            "Laura",
            "Katherine",
            "Abigail",
            "Madison",
            "Ashley",
            "Brittany",
            "Jennifer",
            "Elizabeth",
            "Margaret",
            "Susan",
            "Karen",
            "Linda",
            "Patricia",
            "Nancy",
            "Deborah",
            "Heather",
            "Chloe",
            "Ella",
            "Isla",
            "Poppy",
            "Evie",
            "Zoe",
            "Harper",
            "Avery",
            "Taylor",
        ],
        male: &[
            "James",
            "Oliver",
            "Harry",
            "George",
            "Jack",
            "Thomas",
            "William",
            "Henry",
            "Charlie",
            "Daniel",
            "Matthew",
            "Michael",
            "David",
            "John",
            "Robert",
            "Christopher",
            "Joshua",
            "Ethan",
            "Tyler",
            "Brandon",
            "Kevin",
            "Brian",
            "Jason",
            "Andrew",
            "Ryan",
            "Samuel",
            "Benjamin",
            "Luke",
            "Joseph",
            "Edward",
            "Alfie",
            "Noah",
            "Leo",
            "Arthur",
            "Jordan",
            "Cameron",
        ],
        last: &[
            "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson",
            "Taylor", "Anderson", "Thomas", "Moore", "Jackson", "White", "Harris", "Martin",
            "Thompson", "Clark", "Lewis", "Walker", "Hall", "Allen", "Young", "King", "Wright",
            "Scott", "Green", "Baker", "Adams", "Nelson", "Hill", "Campbell", "Mitchell",
            "Roberts", "Carter", "Evans", "Turner", "Parker", "Collins", "Edwards", "Stewart",
            "Morris", "Cook", "Rogers", "Reed", "Bennett", "Hughes", "Price", "Wood", "Cooper",
        ],
    },
    NameGroup {
        female: &[
            "Aoife", "Siobhán", "Niamh", "Saoirse", "Caoimhe", "Róisín", "Orla", "Clodagh",
            "Sinéad", "Aisling", "Ciara", "Méabh",
        ],
        male: &[
            "Seán", "Cian", "Oisín", "Darragh", "Ciarán", "Pádraig", "Eoin", "Conor", "Liam",
            "Fionn", "Cathal", "Dónal",
        ],
        last: &[
            "Murphy",
            "Kelly",
            "O'Sullivan",
            "Walsh",
            "O'Brien",
            "Byrne",
            "Ryan",
            "O'Connor",
            "O'Neill",
            "Doyle",
            "McCarthy",
            "Gallagher",
            "Kennedy",
            "Lynch",
            "Quinn",
            "Brennan",
            "Fitzgerald",
            "Nolan",
            "Ní Bhriain",
            "Mac Giolla",
        ],
    },
    NameGroup {
        female: &[
            "Anna",
            "Lena",
            "Leonie",
            "Lea",
            "Mia",
            "Katharina",
            "Julia",
            "Sabine",
            "Ursula",
            "Monika",
            "Petra",
            "Birgit",
            "Claudia",
            "Franziska",
            "Johanna",
            "Greta",
            "Marlene",
            "Jana",
            "Ines",
            "Heike",
            "Jutta",
            "Anke",
        ],
        male: &[
            "Lukas",
            "Maximilian",
            "Felix",
            "Jonas",
            "Leon",
            "Paul",
            "Finn",
            "Tobias",
            "Stefan",
            "Andreas",
            "Jürgen",
            "Klaus",
            "Wolfgang",
            "Matthias",
            "Florian",
            "Sebastian",
            "Dieter",
            "Uwe",
            "Moritz",
            "Niklas",
            "Jannik",
            "Torsten",
        ],
        last: &[
            "Müller",
            "Schmidt",
            "Schneider",
            "Fischer",
            "Weber",
            "Meyer",
            "Wagner",
            "Becker",
            "Schulz",
            "Hoffmann",
            "Schäfer",
            "Koch",
            "Bauer",
            "Richter",
            "Klein",
            "Wolf",
            "Schröder",
            "Neumann",
            "Schwarz",
            "Zimmermann",
            "Braun",
            "Krüger",
            "Hofmann",
            "Hartmann",
            "Lange",
            "Schmitt",
            "Werner",
            "Krause",
            "Meier",
            "Lehmann",
            "Köhler",
            "Vogel",
            "von Arnim",
        ],
    },
    NameGroup {
        female: &[
            "Camille",
            "Léa",
            "Chloé",
            "Manon",
            "Inès",
            "Juliette",
            "Louise",
            "Élodie",
            "Céline",
            "Nathalie",
            "Isabelle",
            "Sylvie",
            "Amélie",
            "Margaux",
            "Océane",
            "Clémence",
            "Aurélie",
            "Brigitte",
            "Anne-Sophie",
        ],
        male: &[
            "Lucas",
            "Hugo",
            "Louis",
            "Gabriel",
            "Théo",
            "Mathieu",
            "Nicolas",
            "Julien",
            "Pierre",
            "Antoine",
            "François",
            "Étienne",
            "Sébastien",
            "Olivier",
            "Jean",
            "Baptiste",
            "Romain",
            "Jean-Luc",
        ],
        last: &[
            "Martin",
            "Bernard",
            "Dubois",
            "Thomas",
            "Robert",
            "Richard",
            "Petit",
            "Durand",
            "Leroy",
            "Moreau",
            "Simon",
            "Laurent",
            "Lefebvre",
            "Michel",
            "Garcia",
            "David",
            "Bertrand",
            "Roux",
            "Vincent",
            "Fournier",
            "Morel",
            "Girard",
            "André",
            "Lefèvre",
            "Mercier",
            "Dupont",
            "Lambert",
            "Bonnet",
            "François",
            "Martinez",
        ],
    },
    NameGroup {
        female: &[
            "Sanne", "Femke", "Anouk", "Lotte", "Eva", "Fleur", "Noor", "Lieke", "Marloes",
            "Ingrid", "Annemiek", "Sophie",
        ],
        male: &[
            "Daan", "Sem", "Bram", "Jesse", "Thijs", "Ruben", "Lars", "Sander", "Joost", "Pieter",
            "Willem", "Maarten", "Koen",
        ],
        last: &[
            "de Jong",
            "Jansen",
            "de Vries",
            "van den Berg",
            "van Dijk",
            "Bakker",
            "Janssen",
            "Visser",
            "Smit",
            "Meijer",
            "de Boer",
            "Mulder",
            "de Groot",
            "Bos",
            "Vos",
            "Peters",
            "Hendriks",
            "van Leeuwen",
            "Dekker",
            "Brouwer",
        ],
    },
    NameGroup {
        female: &[
            "María",
            "Lucía",
            "Carmen",
            "Sofía",
            "Paula",
            "Laura",
            "Marta",
            "Elena",
            "Isabel",
            "Ana",
            "Valentina",
            "Camila",
            "Guadalupe",
            "Rosa",
            "Alejandra",
            "Daniela",
            "Gabriela",
            "Ximena",
            "María José",
        ],
        male: &[
            "José",
            "Antonio",
            "Manuel",
            "Francisco",
            "Javier",
            "Carlos",
            "Alejandro",
            "Pablo",
            "Miguel",
            "Juan",
            "Diego",
            "Sergio",
            "Mateo",
            "Santiago",
            "Luis",
            "Jorge",
            "Andrés",
            "Raúl",
        ],
        last: &[
            "García",
            "Rodríguez",
            "González",
            "Fernández",
            "López",
            "Martínez",
            "Sánchez",
            "Pérez",
            "Gómez",
            "Martín",
            "Jiménez",
            "Ruiz",
            "Hernández",
            "Díaz",
            "Moreno",
            "Álvarez",
            "Romero",
            "Torres",
            "Ramírez",
            "Flores",
            "Vargas",
            "Castillo",
            "Ortiz",
            "Morales",
            "Reyes",
            "Cruz",
            "García Márquez",
        ],
    },
    NameGroup {
        female: &[
            "Giulia",
            "Francesca",
            "Chiara",
            "Sara",
            "Martina",
            "Alessandra",
            "Federica",
            "Elisa",
            "Giorgia",
            "Beatrice",
            "Silvia",
            "Paola",
            "Rosa",
        ],
        male: &[
            "Marco",
            "Alessandro",
            "Lorenzo",
            "Matteo",
            "Andrea",
            "Luca",
            "Giuseppe",
            "Francesco",
            "Davide",
            "Riccardo",
            "Stefano",
            "Giovanni",
            "Simone",
            "Paolo",
        ],
        last: &[
            "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci",
            "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa",
            "Giordano", "Rizzo", "Lombardi", "Moretti", "D'Angelo",
        ],
    },
    NameGroup {
        female: &[
            "Agnieszka",
            "Katarzyna",
            "Małgorzata",
            "Magdalena",
            "Zofia",
            "Joanna",
            "Ewa",
        ],
        male: &[
            "Piotr",
            "Krzysztof",
            "Tomasz",
            "Paweł",
            "Jakub",
            "Michał",
            "Łukasz",
        ],
        last: &[
            "Nowak",
            "Kowalski",
            "Wiśniewski",
            "Wójcik",
            "Kowalczyk",
            "Kamiński",
            "Lewandowski",
            "Zieliński",
            "Szymański",
        ],
    },
    NameGroup {
        female: &["Elif", "Zeynep", "Ayşe", "Fatma", "Emine", "Merve"],
        male: &[
            "Mehmet", "Mustafa", "Ahmet", "Emre", "Burak", "Can", "Yusuf",
        ],
        last: &[
            "Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Aydın", "Öztürk", "Arslan",
            "Doğan",
        ],
    },
    NameGroup {
        female: &[
            "Fatima", "Aisha", "Layla", "Mariam", "Nour", "Yasmin", "Salma", "Amira",
        ],
        male: &[
            "Mohammed", "Ahmed", "Omar", "Ali", "Hassan", "Youssef", "Karim", "Khalid", "Ibrahim",
        ],
        last: &[
            "Haddad", "Khalil", "Nasser", "Mansour", "Saleh", "Hamdan", "Farouk", "Aziz",
            "El-Amin", "Benali", "Bouzid", "Rahman",
        ],
    },
    NameGroup {
        female: &[
            "Priya", "Ananya", "Divya", "Kavya", "Neha", "Pooja", "Sunita", "Aarti", "Meera",
            "Nusrat",
        ],
        male: &[
            "Arjun", "Rahul", "Vikram", "Rohan", "Aditya", "Sanjay", "Amit", "Ravi", "Imran",
            "Farhan",
        ],
        last: &[
            "Patel",
            "Sharma",
            "Singh",
            "Kumar",
            "Gupta",
            "Shah",
            "Iyer",
            "Reddy",
            "Nair",
            "Chowdhury",
            "Khan",
            "Malhotra",
            "Desai",
            "Mehta",
            "Rao",
        ],
    },
    NameGroup {
        female: &["Mei", "Xiu", "Li Na", "Yan", "Jing", "Hui", "Ying", "Xin"],
        male: &["Wei", "Jun", "Hao", "Lei", "Jian", "Ming", "Tao", "Yong"],
        last: &[
            "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu",
            "Sun", "Lin", "Ho", "Chan", "Wong",
        ],
    },
    NameGroup {
        female: &["Linh", "Thảo", "Hương", "Trang", "Ngọc"],
        male: &["Minh", "Huy", "Nam", "Tuấn", "Khang"],
        last: &[
            "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Võ", "Đặng",
        ],
    },
    NameGroup {
        female: &["Ji-woo", "Seo-yeon", "Min-ji", "Soo-ah", "Ha-eun"],
        male: &["Min-jun", "Seo-jun", "Ji-ho", "Do-yun", "Hyun-woo"],
        last: &["Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon"],
    },
    NameGroup {
        female: &["Yui", "Sakura", "Hina", "Aoi", "Yuki", "Haruka"],
        male: &["Haruto", "Ren", "Sota", "Yuto", "Takumi", "Kenji"],
        last: &[
            "Sato",
            "Suzuki",
            "Takahashi",
            "Tanaka",
            "Watanabe",
            "Ito",
            "Yamamoto",
            "Nakamura",
            "Kobayashi",
        ],
    },
    NameGroup {
        female: &[
            "Adaeze", "Chiamaka", "Ngozi", "Amara", "Abena", "Ama", "Folake", "Yewande", "Aminata",
            "Fatou",
        ],
        male: &[
            "Chinedu",
            "Emeka",
            "Oluwaseun",
            "Kwame",
            "Kofi",
            "Tunde",
            "Babajide",
            "Moussa",
            "Ousmane",
            "Segun",
        ],
        last: &[
            "Okafor", "Adeyemi", "Okonkwo", "Mensah", "Boateng", "Diallo", "Traoré", "Balogun",
            "Eze", "Nwosu", "Asante", "Ndiaye",
        ],
    },
    NameGroup {
        female: &["Eleni", "Katerina", "Dimitra", "Sofia", "Georgia"],
        male: &["Giorgos", "Nikos", "Kostas", "Dimitris", "Yannis"],
        last: &[
            "Papadopoulos",
            "Georgiou",
            "Nikolaou",
            "Ioannou",
            "Karagiannis",
        ],
    },
    NameGroup {
        female: &["Ingrid", "Astrid", "Freja", "Sigrid", "Linnea", "Maja"],
        male: &["Erik", "Lars", "Anders", "Magnus", "Nils", "Björn"],
        last: &[
            "Andersson",
            "Johansson",
            "Nielsen",
            "Hansen",
            "Larsen",
            "Berg",
            "Lindqvist",
        ],
    },
    NameGroup {
        female: &["Beatriz", "Inês", "Mariana", "Leonor", "Carolina"],
        male: &["João", "Tiago", "Rodrigo", "Afonso", "Duarte"],
        last: &[
            "Silva",
            "Santos",
            "Ferreira",
            "Pereira",
            "Oliveira",
            "Costa",
            "Rodrigues",
            "Almeida",
            "Carvalho",
        ],
    },
];

/// A city with its ISO 3166-2 subdivision (without the country prefix) and
/// the leading digits or letters of its postal codes.
pub struct City {
    pub name: &'static str,
    pub region: &'static str,
    pub postal: &'static str,
}

/// Everything the generator needs to know about one country.
pub struct Country {
    pub code: &'static str,
    /// Share of customers from this country.
    pub share: f64,
    /// Jurisdiction consent records are collected under (`US` gets the
    /// state appended).
    pub jurisdiction: &'static str,
    pub currency: &'static str,
    /// Naming traditions and their weights; the rest of the population is
    /// drawn from all traditions alike.
    pub names: &'static [(usize, f64)],
    pub cities: &'static [City],
    pub streets: &'static [&'static str],
    pub address: AddressStyle,
    pub phone: PhoneStyle,
    /// Legal-form suffix for company names.
    pub company_suffix: &'static [&'static str],
}

/// How a one-line postal address is laid out.
#[derive(Clone, Copy)]
pub enum AddressStyle {
    /// `Hauptstraße 12, 10115 Berlin`
    StreetNumberPostcodeCity,
    /// `12 rue Victor Hugo, 75002 Paris`
    NumberStreetPostcodeCity,
    /// `Kerkstraat 5, 1012 AB Amsterdam`
    Dutch,
    /// `14 Main Street, Dublin`
    NumberStreetCity,
    /// `12 High Street, London SW1 4AB`
    British,
    /// `123 Main St, Austin, TX 78701`
    American,
}

/// How phone numbers are written.
#[derive(Clone, Copy)]
pub enum PhoneStyle {
    /// International prefix and random digits in groups.
    Generic(&'static str),
    /// Ofcom drama numbers (`+44 7700 900xxx`, `+44 20 7946 0xxx`).
    British,
    /// The fictional 555-0100..0199 exchange.
    American,
}

const fn city(name: &'static str, region: &'static str, postal: &'static str) -> City {
    City {
        name,
        region,
        postal,
    }
}

pub const COUNTRIES: [Country; 8] = [
    Country {
        code: "DE",
        share: 0.14,
        jurisdiction: "EU",
        currency: "EUR",
        names: &[
            (GERMAN, 0.76),
            (TURKISH, 0.08),
            (POLISH, 0.05),
            (ARABIC, 0.04),
            (GREEK, 0.02),
        ],
        cities: &[
            city("Berlin", "BE", "1"),
            city("Hamburg", "HH", "2"),
            city("München", "BY", "8"),
            city("Köln", "NW", "5"),
            city("Frankfurt am Main", "HE", "6"),
            city("Stuttgart", "BW", "7"),
            city("Düsseldorf", "NW", "4"),
            city("Leipzig", "SN", "04"),
            city("Dresden", "SN", "01"),
            city("Hannover", "NI", "30"),
            city("Nürnberg", "BY", "90"),
            city("Bremen", "HB", "28"),
        ],
        streets: &[
            "Hauptstraße",
            "Bahnhofstraße",
            "Gartenstraße",
            "Schulstraße",
            "Dorfstraße",
            "Lindenstraße",
            "Bergstraße",
            "Kirchstraße",
            "Goethestraße",
            "Schillerstraße",
            "Am Markt",
            "Friedrichstraße",
        ],
        address: AddressStyle::StreetNumberPostcodeCity,
        phone: PhoneStyle::Generic("+49"),
        company_suffix: &["GmbH", "GmbH & Co. KG", "AG"],
    },
    Country {
        code: "FR",
        share: 0.10,
        jurisdiction: "EU",
        currency: "EUR",
        names: &[
            (FRENCH, 0.78),
            (ARABIC, 0.08),
            (WEST_AFRICAN, 0.04),
            (PORTUGUESE, 0.03),
        ],
        cities: &[
            city("Paris", "IDF", "75"),
            city("Lyon", "ARA", "69"),
            city("Marseille", "PAC", "13"),
            city("Toulouse", "OCC", "31"),
            city("Nice", "PAC", "06"),
            city("Nantes", "PDL", "44"),
            city("Strasbourg", "GES", "67"),
            city("Bordeaux", "NAQ", "33"),
            city("Lille", "HDF", "59"),
            city("Rennes", "BRE", "35"),
        ],
        streets: &[
            "rue de la République",
            "rue Victor Hugo",
            "avenue Jean Jaurès",
            "rue Pasteur",
            "boulevard Voltaire",
            "rue du Moulin",
            "place de la Mairie",
            "rue des Lilas",
        ],
        address: AddressStyle::NumberStreetPostcodeCity,
        phone: PhoneStyle::Generic("+33"),
        company_suffix: &["SARL", "SAS", "SA"],
    },
    Country {
        code: "NL",
        share: 0.06,
        jurisdiction: "EU",
        currency: "EUR",
        names: &[(DUTCH, 0.76), (TURKISH, 0.05), (ARABIC, 0.05)],
        cities: &[
            city("Amsterdam", "NH", "10"),
            city("Rotterdam", "ZH", "30"),
            city("Den Haag", "ZH", "25"),
            city("Utrecht", "UT", "35"),
            city("Eindhoven", "NB", "56"),
            city("Groningen", "GR", "97"),
            city("Haarlem", "NH", "20"),
        ],
        streets: &[
            "Kerkstraat",
            "Dorpsstraat",
            "Schoolstraat",
            "Molenweg",
            "Stationsweg",
            "Julianalaan",
            "Beatrixstraat",
        ],
        address: AddressStyle::Dutch,
        phone: PhoneStyle::Generic("+31"),
        company_suffix: &["B.V.", "N.V."],
    },
    Country {
        code: "IE",
        share: 0.03,
        jurisdiction: "EU",
        currency: "EUR",
        names: &[(IRISH, 0.5), (ANGLO, 0.3), (POLISH, 0.06)],
        cities: &[
            city("Dublin", "D", "D"),
            city("Cork", "CO", "T"),
            city("Galway", "G", "H"),
            city("Limerick", "LK", "V"),
            city("Waterford", "WD", "X"),
        ],
        streets: &[
            "Main Street",
            "Church Road",
            "Patrick Street",
            "O'Connell Street",
            "Green Road",
        ],
        address: AddressStyle::NumberStreetCity,
        phone: PhoneStyle::Generic("+353"),
        company_suffix: &["Ltd", "DAC"],
    },
    Country {
        code: "ES",
        share: 0.08,
        jurisdiction: "EU",
        currency: "EUR",
        names: &[(SPANISH, 0.82), (ARABIC, 0.03)],
        cities: &[
            city("Madrid", "MD", "28"),
            city("Barcelona", "CT", "08"),
            city("Valencia", "VC", "46"),
            city("Sevilla", "AN", "41"),
            city("Málaga", "AN", "29"),
            city("Bilbao", "PV", "48"),
            city("Zaragoza", "AR", "50"),
        ],
        streets: &[
            "Calle Mayor",
            "Calle Real",
            "Avenida de la Constitución",
            "Calle del Sol",
            "Plaza de España",
            "Calle Nueva",
        ],
        address: AddressStyle::StreetNumberPostcodeCity,
        phone: PhoneStyle::Generic("+34"),
        company_suffix: &["S.L.", "S.A."],
    },
    Country {
        code: "IT",
        share: 0.08,
        jurisdiction: "EU",
        currency: "EUR",
        names: &[(ITALIAN, 0.84)],
        cities: &[
            city("Roma", "RM", "00"),
            city("Milano", "MI", "20"),
            city("Napoli", "NA", "80"),
            city("Torino", "TO", "10"),
            city("Bologna", "BO", "40"),
            city("Firenze", "FI", "50"),
            city("Palermo", "PA", "90"),
        ],
        streets: &[
            "Via Roma",
            "Via Garibaldi",
            "Via Dante",
            "Corso Italia",
            "Via Mazzini",
            "Piazza Verdi",
            "Via Cavour",
        ],
        address: AddressStyle::StreetNumberPostcodeCity,
        phone: PhoneStyle::Generic("+39"),
        company_suffix: &["S.r.l.", "S.p.A."],
    },
    Country {
        code: "GB",
        share: 0.15,
        jurisdiction: "GB",
        currency: "GBP",
        names: &[
            (ANGLO, 0.64),
            (SOUTH_ASIAN, 0.10),
            (IRISH, 0.05),
            (WEST_AFRICAN, 0.04),
            (POLISH, 0.03),
            (NORDIC, 0.01),
        ],
        cities: &[
            city("London", "LND", "SW"),
            city("Manchester", "MAN", "M"),
            city("Birmingham", "BIR", "B"),
            city("Leeds", "LDS", "LS"),
            city("Glasgow", "GLG", "G"),
            city("Edinburgh", "EDH", "EH"),
            city("Bristol", "BST", "BS"),
            city("Liverpool", "LIV", "L"),
            city("Cardiff", "CRF", "CF"),
            city("Belfast", "BFS", "BT"),
        ],
        streets: &[
            "High Street",
            "Station Road",
            "Church Lane",
            "Victoria Road",
            "Park Avenue",
            "Green Lane",
            "Manor Road",
            "Mill Lane",
            "King Street",
            "Queen's Road",
        ],
        address: AddressStyle::British,
        phone: PhoneStyle::British,
        company_suffix: &["Ltd", "PLC", "LLP"],
    },
    Country {
        code: "US",
        share: 0.36,
        jurisdiction: "US",
        currency: "USD",
        names: &[
            (ANGLO, 0.52),
            (SPANISH, 0.17),
            (WEST_AFRICAN, 0.06),
            (CHINESE, 0.04),
            (SOUTH_ASIAN, 0.04),
            (IRISH, 0.04),
            (ITALIAN, 0.03),
            (KOREAN, 0.02),
            (VIETNAMESE, 0.02),
            (GERMAN, 0.02),
            (JAPANESE, 0.01),
        ],
        cities: &[
            city("Los Angeles", "CA", "900"),
            city("San Francisco", "CA", "941"),
            city("San Diego", "CA", "921"),
            city("Sacramento", "CA", "958"),
            city("Oakland", "CA", "946"),
            city("Houston", "TX", "770"),
            city("Austin", "TX", "787"),
            city("Dallas", "TX", "752"),
            city("San Antonio", "TX", "782"),
            city("New York", "NY", "100"),
            city("Brooklyn", "NY", "112"),
            city("Buffalo", "NY", "142"),
            city("Richmond", "VA", "232"),
            city("Arlington", "VA", "222"),
            city("Virginia Beach", "VA", "234"),
            city("Denver", "CO", "802"),
            city("Boulder", "CO", "803"),
            city("Colorado Springs", "CO", "809"),
        ],
        streets: &[
            "Main St",
            "Oak Ave",
            "Maple St",
            "Elm St",
            "Washington Ave",
            "Park Blvd",
            "Cedar Ln",
            "Sunset Blvd",
            "Lincoln Ave",
            "Pine St",
            "2nd St",
            "Lake Dr",
        ],
        address: AddressStyle::American,
        phone: PhoneStyle::American,
        company_suffix: &["Inc.", "LLC", "Corp."],
    },
];

/// Weights of the US cities above, so that the state mix is roughly
/// CA 38 %, TX 25 %, NY 20 %, VA 10 %, CO 7 % (each state's share split
/// evenly over its cities).
pub const US_CITY_WEIGHTS: [f64; 18] = [
    0.076, 0.076, 0.076, 0.076, 0.076, 0.0625, 0.0625, 0.0625, 0.0625, 0.0667, 0.0667, 0.0666,
    0.0333, 0.0333, 0.0334, 0.0233, 0.0233, 0.0234,
];

/// E-mail domains: only names reserved for documentation (RFC 2606).
pub const EMAIL_DOMAINS: [&str; 6] = [
    "example.com",
    "example.net",
    "example.org",
    "mail.example.com",
    "post.example.net",
    "inbox.example.org",
];

/// Occasional free-text notes on a customer (commas and quotes on purpose:
/// they exercise CSV quoting).
pub const CUSTOMER_NOTES: [&str; 10] = [
    "Prefers contact by phone.",
    "Asked for invoices by post.",
    "Long-standing customer, knows the owner.",
    "Requested the large-print catalogue.",
    "Nut allergy, see order notes.",
    "Moved over from the old branch.",
    "Called about a damaged parcel; resolved with a voucher.",
    "Prefers correspondence in their first language.",
    "Wants to be addressed as \"Dr.\" in letters.",
    "Business customer, VAT number on file.",
];

/// Support ticket bodies.
pub const TICKET_TEXTS: [&str; 12] = [
    "My order arrived damaged, can you send a replacement?",
    "I was charged twice for the same order.",
    "Where is my parcel? Tracking hasn't updated in 5 days.",
    "How do I change my delivery address?",
    "The size guide was wrong, I need to exchange an item.",
    "Can I get an invoice with my company name on it?",
    "The discount code \"WELCOME10\" didn't work at checkout.",
    "Please close my account.",
    "An item was missing from the box.",
    "The app keeps logging me out.",
    "I'd like to return an unopened item, what's the process?",
    "Your courier left the parcel with a neighbour I don't know.",
];

/// NPS comments by band: detractors (0–6), passives (7–8), promoters (9–10).
pub const NPS_DETRACTOR: [&str; 5] = [
    "Delivery took far too long.",
    "Customer service never answered my e-mail.",
    "Prices went up again, not impressed.",
    "Second time an order arrived incomplete.",
    "Returns are a hassle.",
];
pub const NPS_PASSIVE: [&str; 4] = [
    "Good products, shipping could be faster.",
    "Fine overall.",
    "Decent, but the website is clunky.",
    "OK value for money.",
];
pub const NPS_PROMOTER: [&str; 5] = [
    "Great service, I recommend you to all my friends!",
    "Fast delivery and friendly staff.",
    "Love the quality, will buy again.",
    "Best shop in town, hands down.",
    "Always helpful when I call.",
];

/// Supplier categories with a typical unit-price range (low, high).
pub const SUPPLIER_CATEGORIES: [(&str, f64, f64); 10] = [
    ("packaging", 0.4, 3.0),
    ("logistics", 40.0, 120.0),
    ("raw materials", 2.0, 40.0),
    ("electronics", 8.0, 200.0),
    ("office supplies", 1.0, 15.0),
    ("cleaning", 2.0, 20.0),
    ("printing", 0.05, 2.0),
    ("food ingredients", 1.0, 25.0),
    ("IT services", 60.0, 150.0),
    ("textiles", 3.0, 30.0),
];

/// Words for company names.
pub const COMPANY_WORDS: [&str; 20] = [
    "Northwind",
    "Bluewater",
    "Alpine",
    "Evergreen",
    "Summit",
    "Harbor",
    "Redwood",
    "Silverline",
    "Ironbridge",
    "Lakeside",
    "Brightway",
    "Crestview",
    "Oakridge",
    "Meridian",
    "Pioneer",
    "Riverside",
    "Keystone",
    "Horizon",
    "Granite",
    "Sterling",
];

/// Kinds of partnership.
pub const PARTNER_TYPES: [(&str, f64); 6] = [
    ("reseller", 0.3),
    ("affiliate", 0.25),
    ("referral_partner", 0.2),
    ("technology", 0.1),
    ("marketing_agency", 0.1),
    ("logistics", 0.05),
];

/// Folds a name to lower-case ASCII for an e-mail local part: accents are
/// dropped, letters outside Latin script and punctuation are removed.
pub fn ascii_fold(name: &str, out: &mut String) {
    for c in name.chars() {
        let folded: &str = match c {
            'a'..='z' | '0'..='9' => {
                out.push(c);
                continue;
            }
            'A'..='Z' => {
                out.push(c.to_ascii_lowercase());
                continue;
            }
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ą' | 'ả' | 'À' | 'Á' | 'Â' | 'Ä' | 'Å' => {
                "a"
            }
            'æ' | 'Æ' => "ae",
            'ç' | 'ć' | 'Ç' | 'Ć' => "c",
            'đ' | 'Đ' => "d",
            'è' | 'é' | 'ê' | 'ë' | 'ę' | 'È' | 'É' | 'Ê' | 'Ë' => "e",
            'ğ' => "g",
            'ì' | 'í' | 'î' | 'ï' | 'ı' | 'Ì' | 'Í' | 'Î' | 'Ï' | 'İ' => "i",
            'ł' | 'Ł' => "l",
            'ñ' | 'ń' | 'Ñ' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ọ' | 'ő' | 'Ò' | 'Ó' | 'Ô' | 'Ö' | 'Ø' => {
                "o"
            }
            'œ' | 'Œ' => "oe",
            'ś' | 'ş' | 'Ś' | 'Ş' => "s",
            'ß' => "ss",
            'ù' | 'ú' | 'û' | 'ü' | 'ư' | 'ű' | 'Ù' | 'Ú' | 'Û' | 'Ü' => "u",
            'ý' | 'ÿ' | 'Ý' => "y",
            'ź' | 'ż' | 'Ź' | 'Ż' => "z",
            'ấ' | 'ầ' | 'ạ' | 'ă' | 'ắ' | 'ằ' | 'ặ' | 'ẵ' | 'ẳ' => "a",
            'ỳ' | 'ỷ' => "y",
            'ễ' | 'ệ' => "e",
            'ồ' | 'ố' | 'ơ' | 'ờ' => "o",
            _ => "",
        };
        out.push_str(folded);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_keeps_only_ascii_letters() {
        let mut s = String::new();
        ascii_fold("Nguyễn O'Brien-Müller Łukasz", &mut s);
        assert_eq!(s, "nguyenobrienmullerlukasz");
    }

    #[test]
    fn tables_are_consistent() {
        let shares: f64 = COUNTRIES.iter().map(|c| c.share).sum();
        assert!((shares - 1.0).abs() < 1e-9);
        let us = COUNTRIES
            .iter()
            .find(|c| c.code == "US")
            .map(|c| c.cities.len());
        assert_eq!(us, Some(US_CITY_WEIGHTS.len()));
        for g in &GROUPS {
            assert!(!g.female.is_empty() && !g.male.is_empty() && !g.last.is_empty());
        }
        for c in &COUNTRIES {
            for city in c.cities {
                assert!(
                    city.region.len() <= 3
                        && city
                            .region
                            .chars()
                            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                );
            }
        }
    }
}
