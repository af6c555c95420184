//! The vocabulary the market generator draws from: job categories and subcategories, niches
//! (occupations with their skills, title and description templates, budget ranges), the stock
//! sentences a description is built from, and the countries and cities clients post from.
//!
//! Only data lives here; [`generate`](super::generate) picks from these tables to turn a random
//! stream into a posting or a client, and [`Market`](super::Market) never reads them directly.
//! Tables are `static` so a posting points into them instead of copying strings; only the title,
//! the description and the skill list are allocated per posting. Templates use `{skill}`,
//! `{skill2}`, `{skill3}`, `{thing}`, `{lvl}`, `{role}`, `{company}`, `{city}` and `{codeword}`;
//! a unit test in `generate` checks that no template uses anything else. The generator picks by
//! position and weight, so editing, adding or reordering an entry changes every seeded market.

use super::posting::{Category, Country, Occupation, Skill, Subcategory};

/// One kind of job: an occupation with the skills, words and budgets that go with it.
pub(super) struct Niche {
    pub(super) category: &'static Category,
    pub(super) subcategory: &'static Subcategory,
    pub(super) occupation: Occupation,
    /// Relative frequency among postings.
    pub(super) weight: u32,
    /// Who the client is looking for, with an article ("a backend developer").
    pub(super) role: &'static str,
    /// Skills a posting of this kind always draws two or three of; the first drawn leads.
    pub(super) core: &'static [Skill],
    /// Skills a posting may add.
    pub(super) extra: &'static [Skill],
    /// What the work is about; reads well after "our".
    pub(super) things: &'static [&'static str],
    pub(super) titles: &'static [&'static str],
    /// Niche-specific description sentences.
    pub(super) tasks: &'static [&'static str],
    /// Typical intermediate-level hourly range in USD.
    pub(super) hourly: (f64, f64),
    /// Typical intermediate-level fixed budget range in USD.
    pub(super) fixed: (f64, f64),
    /// Share of hourly postings.
    pub(super) hourly_share: f64,
}

const fn sk(name: &'static str, pretty_name: &'static str) -> Skill {
    Skill { name, pretty_name }
}

const fn occ(id: &'static str, label: &'static str, ontology_id: &'static str) -> Occupation {
    Occupation {
        id,
        label,
        ontology_id,
    }
}

static WEB_DEV: Category = Category {
    id: "531770282580668418",
    slug: "web_mobile_software_dev",
    label: "Web, Mobile & Software Dev",
    ontology_id: "upworkOccupation:webmobilesoftwaredev",
};
static IT: Category = Category {
    id: "531770282580668419",
    slug: "it_networking",
    label: "IT & Networking",
    ontology_id: "upworkOccupation:itnetworking",
};
static DATA: Category = Category {
    id: "531770282580668420",
    slug: "data_science_analytics",
    label: "Data Science & Analytics",
    ontology_id: "upworkOccupation:datascienceanalytics",
};
static DESIGN: Category = Category {
    id: "531770282580668421",
    slug: "design_creative",
    label: "Design & Creative",
    ontology_id: "upworkOccupation:designcreative",
};
static MARKETING: Category = Category {
    id: "531770282580668422",
    slug: "sales_marketing",
    label: "Sales & Marketing",
    ontology_id: "upworkOccupation:salesmarketing",
};
static WRITING: Category = Category {
    id: "531770282580668423",
    slug: "writing",
    label: "Writing",
    ontology_id: "upworkOccupation:writing",
};
static ADMIN: Category = Category {
    id: "531770282580668416",
    slug: "admin_support",
    label: "Admin Support",
    ontology_id: "upworkOccupation:adminsupport",
};
static SUPPORT: Category = Category {
    id: "531770282580668417",
    slug: "customer_service",
    label: "Customer Service",
    ontology_id: "upworkOccupation:customerservice",
};
static TRANSLATION: Category = Category {
    id: "531770282584862720",
    slug: "translation",
    label: "Translation",
    ontology_id: "upworkOccupation:translation",
};

macro_rules! subcategory {
    ($name:ident, $id:literal, $slug:literal, $label:literal) => {
        static $name: Subcategory = Subcategory {
            id: $id,
            slug: $slug,
            label: $label,
            ontology_id: concat!("upworkOccupation:", $slug),
        };
    };
}

subcategory!(
    WEB_DEVELOPMENT,
    "531770282584862733",
    "web_development",
    "Web Development"
);
subcategory!(
    ECOMMERCE,
    "531770282589057026",
    "ecommerce_development",
    "Ecommerce Development"
);
subcategory!(
    MOBILE,
    "531770282589057024",
    "mobile_development",
    "Mobile Development"
);
subcategory!(
    SCRIPTS,
    "531770282589057028",
    "scripts_utilities",
    "Scripts & Utilities"
);
subcategory!(
    AI_ML,
    "531770282589057034",
    "ai_machine_learning",
    "AI & Machine Learning"
);
subcategory!(
    ANALYSIS,
    "531770282589057035",
    "data_analysis_testing",
    "Data Analysis & Testing"
);
subcategory!(
    ETL,
    "531770282589057036",
    "data_extraction_etl",
    "Data Extraction/ETL"
);
subcategory!(
    GRAPHIC,
    "531770282589057037",
    "graphic_editorial_presentation_design",
    "Graphic, Editorial & Presentation Design"
);
subcategory!(
    PRODUCT_DESIGN,
    "531770282589057038",
    "product_design",
    "Product Design"
);
subcategory!(
    VIDEO,
    "531770282589057039",
    "video_animation",
    "Video & Animation"
);
subcategory!(
    CONTENT,
    "531770282589057040",
    "content_writing",
    "Content Writing"
);
subcategory!(
    EDITING,
    "531770282589057041",
    "editing_proofreading_services",
    "Editing & Proofreading Services"
);
subcategory!(
    DEVOPS,
    "531770282589057042",
    "devops_solution_architecture",
    "DevOps & Solution Architecture"
);
subcategory!(
    SYSADMIN,
    "531770282589057043",
    "network_system_administration",
    "Network & System Administration"
);
subcategory!(
    DIGITAL_MARKETING,
    "531770282589057044",
    "digital_marketing",
    "Digital Marketing"
);
subcategory!(
    LEAD_GEN,
    "531770282589057045",
    "lead_generation_telemarketing",
    "Lead Generation & Telemarketing"
);
subcategory!(
    VA,
    "531770282589057046",
    "virtual_assistance",
    "Virtual Assistance"
);
subcategory!(
    DATA_ENTRY,
    "531770282589057047",
    "data_entry_transcription_services",
    "Data Entry & Transcription Services"
);
subcategory!(
    PROJECT_MGMT,
    "531770282589057048",
    "project_management",
    "Project Management"
);
subcategory!(
    CS_SUPPORT,
    "531770282589057049",
    "customer_service_tech_support",
    "Customer Service & Tech Support"
);
subcategory!(
    LOCALIZATION,
    "531770282589057050",
    "translation_localization_services",
    "Translation & Localization Services"
);

const DB_SKILLS: &[Skill] = &[
    sk("postgresql", "PostgreSQL"),
    sk("mysql", "MySQL"),
    sk("redis", "Redis"),
    sk("mongodb", "MongoDB"),
    sk("docker", "Docker"),
    sk("rest-api", "REST API"),
    sk("graphql", "GraphQL"),
    sk("amazon-web-services", "Amazon Web Services"),
    sk("api-integration", "API Integration"),
];

pub(super) static NICHES: &[Niche] = &[
    Niche {
        category: &WEB_DEV,
        subcategory: &WEB_DEVELOPMENT,
        occupation: occ(
            "1017484851352698949",
            "Back-End Development",
            "upworkOccupation:backenddevelopment",
        ),
        weight: 12,
        role: "a backend developer",
        core: &[
            sk("rust", "Rust"),
            sk("golang", "Go"),
            sk("python", "Python"),
            sk("node.js", "Node.js"),
            sk("php", "PHP"),
            sk("java", "Java"),
            sk("ruby-on-rails", "Ruby on Rails"),
            sk("django", "Django"),
        ],
        extra: DB_SKILLS,
        things: &[
            "async payment service",
            "REST API",
            "order management backend",
            "webhook processor",
            "inventory sync service",
            "booking platform API",
            "authentication service",
            "reporting microservice",
            "Stripe integration",
            "multi-tenant SaaS backend",
            "real-time chat server",
            "background job queue",
        ],
        titles: &[
            "{lvl}{skill} developer for {thing}",
            "{lvl}{skill} backend engineer to build our {thing}",
            "Fix performance issues in our {skill} {thing}",
            "Build our {thing} in {skill}",
            "{skill} expert needed for {thing}",
            "Long-term {skill} developer for {thing} and {skill2} work",
        ],
        tasks: &[
            "The {thing} is written in {skill}; it needs new endpoints, better tests and some cleanup.",
            "Requests sometimes time out under load, so we need someone to profile the {thing} and fix the slow paths.",
            "You will design the data model, write the {skill} code and document the API for our frontend team.",
            "We want clean, well-tested {skill} code with CI, and a short handover call at the end.",
        ],
        hourly: (30.0, 85.0),
        fixed: (150.0, 6000.0),
        hourly_share: 0.55,
    },
    Niche {
        category: &WEB_DEV,
        subcategory: &WEB_DEVELOPMENT,
        occupation: occ(
            "1017484851352698950",
            "Front-End Development",
            "upworkOccupation:frontenddevelopment",
        ),
        weight: 9,
        role: "a front-end developer",
        core: &[
            sk("react", "React"),
            sk("vue.js", "Vue.js"),
            sk("angular", "Angular"),
            sk("javascript", "JavaScript"),
            sk("typescript", "TypeScript"),
            sk("next.js", "Next.js"),
        ],
        extra: &[
            sk("html5", "HTML5"),
            sk("css", "CSS"),
            sk("tailwind-css", "Tailwind CSS"),
            sk("figma", "Figma"),
            sk("redux", "Redux"),
            sk("responsive-design", "Responsive Design"),
        ],
        things: &[
            "customer dashboard",
            "landing page",
            "admin panel",
            "checkout flow",
            "marketing site",
            "analytics UI",
            "component library",
            "signup wizard",
        ],
        titles: &[
            "{lvl}{skill} developer for our {thing}",
            "Convert Figma designs to {skill} for {thing}",
            "{skill} front-end work on {thing}",
            "Improve the {thing} built with {skill} and {skill2}",
            "Need a {skill} expert to fix bugs in our {thing}",
        ],
        tasks: &[
            "We have Figma designs for the {thing} and need them built in {skill} with {skill2}.",
            "The {thing} must be responsive, accessible and fast on mobile devices.",
            "There are about a dozen open bugs in the {thing}; most are layout and state issues.",
            "You will work with our designer and our backend developer, who owns the API.",
        ],
        hourly: (25.0, 75.0),
        fixed: (100.0, 5000.0),
        hourly_share: 0.5,
    },
    Niche {
        category: &WEB_DEV,
        subcategory: &WEB_DEVELOPMENT,
        occupation: occ(
            "1017484851352698951",
            "Full Stack Development",
            "upworkOccupation:fullstackdevelopment",
        ),
        weight: 9,
        role: "a full stack developer",
        core: &[
            sk("react", "React"),
            sk("node.js", "Node.js"),
            sk("python", "Python"),
            sk("laravel", "Laravel"),
            sk("next.js", "Next.js"),
            sk("typescript", "TypeScript"),
        ],
        extra: DB_SKILLS,
        things: &[
            "MVP",
            "SaaS web app",
            "internal tool",
            "marketplace platform",
            "CRM",
            "customer portal",
            "booking system",
            "learning platform",
        ],
        titles: &[
            "{lvl}full stack developer for our {thing} ({skill} + {skill2})",
            "Build our {thing} with {skill} and {skill2}",
            "{skill} / {skill2} developer to finish our {thing}",
            "Full stack {skill} engineer for {thing}",
        ],
        tasks: &[
            "The {thing} is half built: the backend uses {skill2} and the frontend {skill}.",
            "We need user accounts, payments and an admin area before launch.",
            "You will own features end to end, from the database schema to the UI.",
            "We deploy on {skill3}, so experience with it is a plus.",
        ],
        hourly: (30.0, 80.0),
        fixed: (500.0, 12000.0),
        hourly_share: 0.5,
    },
    Niche {
        category: &WEB_DEV,
        subcategory: &WEB_DEVELOPMENT,
        occupation: occ(
            "1017484851352698952",
            "CMS Development",
            "upworkOccupation:cmsdevelopment",
        ),
        weight: 7,
        role: "a WordPress developer",
        core: &[
            sk("wordpress", "WordPress"),
            sk("php", "PHP"),
            sk("elementor", "Elementor"),
            sk("wordpress-plugin", "WordPress Plugin"),
        ],
        extra: &[
            sk("css", "CSS"),
            sk("html5", "HTML5"),
            sk("javascript", "JavaScript"),
            sk("web-design", "Web Design"),
            sk("search-engine-optimization", "Search Engine Optimization"),
        ],
        things: &[
            "company website",
            "WordPress theme",
            "blog",
            "membership site",
            "event registration page",
            "restaurant website",
        ],
        titles: &[
            "{skill} developer to fix our {thing}",
            "Redesign our {thing} in {skill}",
            "{lvl}{skill} expert for {thing} speed optimization",
            "Small {skill} fixes on our {thing}",
        ],
        tasks: &[
            "Our {thing} runs on {skill} with {skill2} and has become slow and hard to edit.",
            "A plugin update broke the layout of several pages; we need it fixed quickly.",
            "We want a clean, fast {thing} that our staff can update without help.",
        ],
        hourly: (15.0, 50.0),
        fixed: (50.0, 2500.0),
        hourly_share: 0.35,
    },
    Niche {
        category: &WEB_DEV,
        subcategory: &ECOMMERCE,
        occupation: occ(
            "1017484851352698953",
            "Ecommerce Website Development",
            "upworkOccupation:ecommercewebsitedevelopment",
        ),
        weight: 7,
        role: "an e-commerce developer",
        core: &[
            sk("shopify", "Shopify"),
            sk("woocommerce", "WooCommerce"),
            sk("magento", "Magento"),
        ],
        extra: &[
            sk("shopify-templates", "Shopify Templates"),
            sk("liquid", "Liquid"),
            sk("javascript", "JavaScript"),
            sk("css", "CSS"),
            sk(
                "conversion-rate-optimization",
                "Conversion Rate Optimization",
            ),
            sk("klaviyo", "Klaviyo"),
        ],
        things: &[
            "handmade candles store",
            "organic skincare shop",
            "pet supplies store",
            "vintage clothing shop",
            "coffee beans store",
            "café merchandise shop",
            "supplements brand",
        ],
        titles: &[
            "{skill} store redesign",
            "{skill} expert to speed up our {thing}",
            "Set up a {skill} store for our {thing}",
            "Fix checkout bug on our {skill} store",
            "Migrate our {thing} to {skill}",
        ],
        tasks: &[
            "Our {thing} runs on {skill} and the theme needs a refresh before the holiday season.",
            "Checkout conversion dropped after the last update and we need to find out why.",
            "We need product filters, bundles and a faster mobile product page.",
            "About 300 products have to be imported with their variants and images.",
        ],
        hourly: (20.0, 60.0),
        fixed: (100.0, 4000.0),
        hourly_share: 0.35,
    },
    Niche {
        category: &WEB_DEV,
        subcategory: &MOBILE,
        occupation: occ(
            "1017484851352698954",
            "Mobile App Development",
            "upworkOccupation:mobileappdevelopment",
        ),
        weight: 9,
        role: "a mobile app developer",
        core: &[
            sk("flutter", "Flutter"),
            sk("react-native", "React Native"),
            sk("swift", "Swift"),
            sk("kotlin", "Kotlin"),
            sk("ios", "iOS"),
            sk("android", "Android"),
        ],
        extra: &[
            sk("firebase", "Firebase"),
            sk("dart", "Dart"),
            sk("mobile-app-development", "Mobile App Development"),
            sk("in-app-purchases", "In-App Purchases"),
            sk("push-notifications", "Push Notifications"),
        ],
        things: &[
            "fitness tracking app",
            "food delivery app",
            "booking app",
            "loyalty app",
            "habit tracker",
            "telehealth app",
            "café ordering app",
            "language learning app",
        ],
        titles: &[
            "{lvl}{skill} developer for our {thing}",
            "Build a {thing} in {skill}",
            "{skill} app: finish our {thing} for App Store release",
            "Fix crashes in our {skill} {thing}",
            "{skill} and {skill2} developer needed for {thing}",
        ],
        tasks: &[
            "The {thing} is built with {skill} and uses {skill2} for the backend.",
            "We need the app released on both the App Store and Google Play.",
            "Users report crashes on older Android phones; you will reproduce and fix them.",
            "Designs are ready; we need screens, offline support and push notifications.",
        ],
        hourly: (25.0, 80.0),
        fixed: (300.0, 15000.0),
        hourly_share: 0.45,
    },
    Niche {
        category: &WEB_DEV,
        subcategory: &SCRIPTS,
        occupation: occ(
            "1017484851352698955",
            "Scripting & Automation",
            "upworkOccupation:scriptingautomation",
        ),
        weight: 5,
        role: "an automation developer",
        core: &[
            sk("python", "Python"),
            sk("automation", "Automation"),
            sk("google-apps-script", "Google Apps Script"),
            sk("selenium", "Selenium"),
            sk("bash", "Bash"),
        ],
        extra: &[
            sk("zapier", "Zapier"),
            sk("microsoft-excel", "Microsoft Excel"),
            sk("api-integration", "API Integration"),
            sk("make.com", "Make.com"),
        ],
        things: &[
            "Excel report generator",
            "browser automation",
            "data cleanup script",
            "Slack bot",
            "invoice processing workflow",
            "Google Sheets sync",
        ],
        titles: &[
            "{skill} script for {thing}",
            "Automate our {thing} with {skill}",
            "{lvl}{skill} developer for our {thing}",
            "Quick {skill} job: {thing}",
        ],
        tasks: &[
            "Every week someone spends hours on this by hand; we want a {skill} script to do it.",
            "The script should run on a schedule and email us when something fails.",
            "Inputs come from a shared folder and outputs go to a Google Sheet.",
        ],
        hourly: (20.0, 60.0),
        fixed: (50.0, 1500.0),
        hourly_share: 0.3,
    },
    Niche {
        category: &DATA,
        subcategory: &AI_ML,
        occupation: occ(
            "1017484851352698956",
            "Machine Learning",
            "upworkOccupation:machinelearning",
        ),
        weight: 8,
        role: "a machine learning engineer",
        core: &[
            sk("machine-learning", "Machine Learning"),
            sk("python", "Python"),
            sk("pytorch", "PyTorch"),
            sk("tensorflow", "TensorFlow"),
            sk("openai-api", "OpenAI API"),
            sk("large-language-model", "Large Language Model"),
        ],
        extra: &[
            sk("deep-learning", "Deep Learning"),
            sk("natural-language-processing", "Natural Language Processing"),
            sk("computer-vision", "Computer Vision"),
            sk("langchain", "LangChain"),
            sk("scikit-learn", "scikit-learn"),
        ],
        things: &[
            "churn prediction model",
            "RAG chatbot",
            "image classifier",
            "demand forecasting model",
            "recommendation engine",
            "document extraction pipeline",
            "sentiment analysis",
        ],
        titles: &[
            "{lvl}{skill} engineer for {thing}",
            "Build our {thing} with {skill} and {skill2}",
            "{skill} expert to improve our {thing}",
            "AI engineer needed: {thing} using {skill}",
        ],
        tasks: &[
            "We have two years of labelled data and want our {thing} running in production.",
            "The current {thing} is a prototype in a notebook; it needs evaluation and an API.",
            "You will use {skill} and {skill2}, and explain the trade-offs to a non-technical team.",
            "Accuracy matters, but so do latency and cost per request.",
        ],
        hourly: (40.0, 120.0),
        fixed: (300.0, 15000.0),
        hourly_share: 0.5,
    },
    Niche {
        category: &DATA,
        subcategory: &ANALYSIS,
        occupation: occ(
            "1017484851352698957",
            "Data Analytics",
            "upworkOccupation:dataanalytics",
        ),
        weight: 6,
        role: "a data analyst",
        core: &[
            sk("sql", "SQL"),
            sk("microsoft-excel", "Microsoft Excel"),
            sk("tableau", "Tableau"),
            sk("microsoft-power-bi", "Microsoft Power BI"),
            sk("data-visualization", "Data Visualization"),
            sk("google-sheets", "Google Sheets"),
        ],
        extra: &[
            sk("python", "Python"),
            sk("data-analysis", "Data Analysis"),
            sk("statistics", "Statistics"),
            sk("looker-studio", "Looker Studio"),
        ],
        things: &[
            "sales dashboard",
            "KPI report",
            "cohort analysis",
            "survey results",
            "marketing attribution report",
            "financial model",
        ],
        titles: &[
            "{skill} expert for {thing}",
            "Build our {thing} in {skill}",
            "{lvl}data analyst ({skill}, {skill2}) for {thing}",
            "Clean up and visualize our {thing}",
        ],
        tasks: &[
            "Our data lives in a few spreadsheets and a SQL database, and the {thing} has to pull it together.",
            "The {thing} should refresh daily and be easy for managers to read.",
            "Please explain your approach and which charts you would use.",
        ],
        hourly: (20.0, 70.0),
        fixed: (100.0, 3000.0),
        hourly_share: 0.45,
    },
    Niche {
        category: &DATA,
        subcategory: &ETL,
        occupation: occ(
            "1017484851352698958",
            "Data Engineering",
            "upworkOccupation:dataengineering",
        ),
        weight: 5,
        role: "a data engineer",
        core: &[
            sk("data-scraping", "Data Scraping"),
            sk("python", "Python"),
            sk("etl-pipeline", "ETL Pipeline"),
            sk("apache-airflow", "Apache Airflow"),
            sk("snowflake", "Snowflake"),
            sk("scrapy", "Scrapy"),
        ],
        extra: &[
            sk("sql", "SQL"),
            sk("dbt", "dbt"),
            sk("bigquery", "BigQuery"),
            sk("amazon-web-services", "Amazon Web Services"),
        ],
        things: &[
            "product price scraper",
            "ETL pipeline from Salesforce",
            "data warehouse",
            "lead list",
            "real estate listings scraper",
            "event data pipeline",
        ],
        titles: &[
            "{skill} specialist for {thing}",
            "Build our {thing} with {skill}",
            "{lvl}data engineer: {thing} ({skill}, {skill2})",
            "Maintain our {thing}",
        ],
        tasks: &[
            "We need a reliable {thing} that runs every night and alerts us on failures.",
            "The source sites change often, so the code has to be easy to update.",
            "Data should land in {skill2} with a documented schema.",
        ],
        hourly: (30.0, 90.0),
        fixed: (100.0, 6000.0),
        hourly_share: 0.45,
    },
    Niche {
        category: &DESIGN,
        subcategory: &GRAPHIC,
        occupation: occ(
            "1017484851352698959",
            "Brand Identity Design",
            "upworkOccupation:brandidentitydesign",
        ),
        weight: 6,
        role: "a graphic designer",
        core: &[
            sk("logo-design", "Logo Design"),
            sk("adobe-illustrator", "Adobe Illustrator"),
            sk("brand-identity-design", "Brand Identity Design"),
            sk("graphic-design", "Graphic Design"),
            sk("adobe-photoshop", "Adobe Photoshop"),
            sk("canva", "Canva"),
        ],
        extra: &[
            sk("typography", "Typography"),
            sk("packaging-design", "Packaging Design"),
            sk("presentation-design", "Presentation Design"),
        ],
        things: &[
            "coffee roastery",
            "yoga studio",
            "tech startup",
            "craft brewery",
            "pitch deck",
            "restaurant menu",
            "crêperie",
            "podcast",
        ],
        titles: &[
            "{skill} for our {thing}",
            "Logo and brand identity for our {thing}",
            "{lvl}designer for {thing} branding",
            "Refresh the visual identity of our {thing}",
        ],
        tasks: &[
            "We need a logo, a colour palette and simple brand guidelines for our {thing}.",
            "Please send your portfolio; we like clean, modern and slightly playful work.",
            "Final files should be delivered in {skill2} and as PNG and SVG.",
        ],
        hourly: (20.0, 65.0),
        fixed: (50.0, 2000.0),
        hourly_share: 0.25,
    },
    Niche {
        category: &DESIGN,
        subcategory: &PRODUCT_DESIGN,
        occupation: occ(
            "1017484851352698960",
            "UX/UI Design",
            "upworkOccupation:uxuidesign",
        ),
        weight: 6,
        role: "a product designer",
        core: &[
            sk("figma", "Figma"),
            sk("user-interface-design", "User Interface Design"),
            sk("user-experience-design", "User Experience Design"),
            sk("prototyping", "Prototyping"),
            sk("wireframing", "Wireframing"),
            sk("mobile-ui-design", "Mobile UI Design"),
        ],
        extra: &[
            sk("web-design", "Web Design"),
            sk("design-system", "Design System"),
            sk("user-research", "User Research"),
        ],
        things: &[
            "fintech app",
            "SaaS dashboard",
            "onboarding flow",
            "mobile banking app",
            "e-learning platform",
            "healthcare portal",
        ],
        titles: &[
            "{lvl}UI/UX designer for our {thing}",
            "{skill} designer to redesign our {thing}",
            "Design the {thing} in {skill}",
            "UX audit and redesign of our {thing}",
        ],
        tasks: &[
            "We need wireframes first, then high-fidelity screens in {skill} for the {thing}.",
            "Our users drop off during onboarding and we want to understand why.",
            "You will work from a short brief and present two directions.",
        ],
        hourly: (30.0, 90.0),
        fixed: (200.0, 8000.0),
        hourly_share: 0.45,
    },
    Niche {
        category: &DESIGN,
        subcategory: &VIDEO,
        occupation: occ(
            "1017484851352698961",
            "Video Editing",
            "upworkOccupation:videoediting",
        ),
        weight: 7,
        role: "a video editor",
        core: &[
            sk("video-editing", "Video Editing"),
            sk("adobe-premiere-pro", "Adobe Premiere Pro"),
            sk("final-cut-pro", "Final Cut Pro"),
            sk("davinci-resolve", "DaVinci Resolve"),
            sk("youtube", "YouTube"),
        ],
        extra: &[
            sk("motion-graphics", "Motion Graphics"),
            sk("adobe-after-effects", "Adobe After Effects"),
            sk("color-grading", "Color Grading"),
            sk("subtitles", "Subtitles"),
        ],
        things: &[
            "YouTube channel",
            "TikTok shorts",
            "podcast clips",
            "product demo video",
            "wedding highlight reel",
            "real estate walkthrough",
        ],
        titles: &[
            "{lvl}video editor for our {thing}",
            "{skill} editor needed for {thing}",
            "Edit our {thing} ({skill})",
            "Long-term video editor for our {thing}",
        ],
        tasks: &[
            "We record about four videos a week and need them cut, captioned and ready to post.",
            "You will get raw footage, our brand assets and a few reference videos.",
            "Fast turnaround matters: ideally within 48 hours per video.",
        ],
        hourly: (15.0, 50.0),
        fixed: (30.0, 1500.0),
        hourly_share: 0.3,
    },
    Niche {
        category: &DESIGN,
        subcategory: &VIDEO,
        occupation: occ(
            "1017484851352698962",
            "Motion Graphics",
            "upworkOccupation:motiongraphics",
        ),
        weight: 3,
        role: "a motion designer",
        core: &[
            sk("adobe-after-effects", "Adobe After Effects"),
            sk("motion-graphics", "Motion Graphics"),
            sk("2d-animation", "2D Animation"),
            sk("explainer-video", "Explainer Video"),
        ],
        extra: &[
            sk("blender", "Blender"),
            sk("3d-animation", "3D Animation"),
            sk("storyboarding", "Storyboarding"),
        ],
        things: &[
            "explainer video",
            "logo animation",
            "app promo",
            "product launch video",
        ],
        titles: &[
            "{skill} artist for our {thing}",
            "60-second {thing} with {skill}",
            "{lvl}animator for {thing}",
        ],
        tasks: &[
            "The script for the {thing} is final; we need a storyboard, then the animation.",
            "Style reference: flat, colourful, friendly.",
        ],
        hourly: (25.0, 75.0),
        fixed: (150.0, 4000.0),
        hourly_share: 0.2,
    },
    Niche {
        category: &WRITING,
        subcategory: &CONTENT,
        occupation: occ(
            "1017484851352698963",
            "Content Writing",
            "upworkOccupation:contentwriting",
        ),
        weight: 7,
        role: "a content writer",
        core: &[
            sk("content-writing", "Content Writing"),
            sk("blog-writing", "Blog Writing"),
            sk("article-writing", "Article Writing"),
            sk("seo-writing", "SEO Writing"),
            sk("copywriting", "Copywriting"),
        ],
        extra: &[
            sk("english", "English"),
            sk("research", "Research"),
            sk("ghostwriting", "Ghostwriting"),
        ],
        things: &[
            "B2B SaaS blog",
            "travel blog",
            "personal finance articles",
            "wellness newsletter",
            "product descriptions",
            "landing page copy",
        ],
        titles: &[
            "{lvl}writer for our {thing}",
            "{skill} for {thing}",
            "Write 10 posts for our {thing}",
            "Copywriter needed for {thing}",
        ],
        tasks: &[
            "We need four 1,500-word articles a month for our {thing}.",
            "Every piece must be original, well researched and written for humans first.",
            "You will get a content brief with keywords, audience and examples.",
        ],
        hourly: (15.0, 60.0),
        fixed: (30.0, 2000.0),
        hourly_share: 0.25,
    },
    Niche {
        category: &WRITING,
        subcategory: &CONTENT,
        occupation: occ(
            "1017484851352698964",
            "Technical Writing",
            "upworkOccupation:technicalwriting",
        ),
        weight: 3,
        role: "a technical writer",
        core: &[
            sk("technical-writing", "Technical Writing"),
            sk("api-documentation", "API Documentation"),
            sk("white-paper", "White Paper"),
            sk("software-documentation", "Software Documentation"),
        ],
        extra: &[sk("markdown", "Markdown"), sk("english", "English")],
        things: &[
            "API reference",
            "user manual",
            "developer docs",
            "white paper",
        ],
        titles: &[
            "{lvl}technical writer for our {thing}",
            "{skill} for our {thing}",
            "Rewrite our {thing}",
        ],
        tasks: &[
            "Our {thing} is outdated and confusing; we want it rewritten and restructured.",
            "You will interview our engineers and turn their notes into clear {skill}.",
        ],
        hourly: (30.0, 80.0),
        fixed: (200.0, 5000.0),
        hourly_share: 0.4,
    },
    Niche {
        category: &WRITING,
        subcategory: &EDITING,
        occupation: occ(
            "1017484851352698965",
            "Proofreading",
            "upworkOccupation:proofreading",
        ),
        weight: 3,
        role: "a proofreader",
        core: &[
            sk("proofreading", "Proofreading"),
            sk("editing", "Editing"),
            sk("copy-editing", "Copy Editing"),
            sk("english", "English"),
        ],
        extra: &[
            sk("academic-editing", "Academic Editing"),
            sk("fiction", "Fiction"),
        ],
        things: &[
            "novel manuscript",
            "PhD thesis",
            "children's book",
            "business plan",
        ],
        titles: &[
            "{skill} of our {thing}",
            "{lvl}editor for our {thing}",
            "Proofread a 60,000-word {thing}",
        ],
        tasks: &[
            "The {thing} is complete and needs careful {skill} before it goes to print.",
            "Please use track changes and leave comments where the meaning is unclear.",
        ],
        hourly: (15.0, 45.0),
        fixed: (50.0, 1500.0),
        hourly_share: 0.2,
    },
    Niche {
        category: &IT,
        subcategory: &DEVOPS,
        occupation: occ(
            "1017484851352698966",
            "DevOps Engineering",
            "upworkOccupation:devopsengineering",
        ),
        weight: 7,
        role: "a DevOps engineer",
        core: &[
            sk("devops", "DevOps"),
            sk("kubernetes", "Kubernetes"),
            sk("docker", "Docker"),
            sk("terraform", "Terraform"),
            sk("amazon-web-services", "Amazon Web Services"),
            sk("google-cloud-platform", "Google Cloud Platform"),
            sk("microsoft-azure", "Microsoft Azure"),
        ],
        extra: &[
            sk("ci-cd", "CI/CD"),
            sk("linux-system-administration", "Linux System Administration"),
            sk("ansible", "Ansible"),
            sk("github-actions", "GitHub Actions"),
            sk("prometheus", "Prometheus"),
        ],
        things: &[
            "Kubernetes cluster",
            "CI/CD pipeline",
            "AWS migration",
            "monitoring stack",
            "infrastructure as code",
            "cloud cost optimization",
        ],
        titles: &[
            "{lvl}DevOps engineer for {thing}",
            "{skill} expert to set up our {thing}",
            "{skill} and {skill2} help with {thing}",
            "Cloud engineer for our {thing}",
        ],
        tasks: &[
            "We run a dozen services in containers and want them on {skill} with proper {skill2}.",
            "Deployments are manual today, and the {thing} is the first step to fixing that.",
            "You will write the infrastructure as code and document how to operate it.",
            "Our cloud bill doubled this year and we need to understand why.",
        ],
        hourly: (40.0, 110.0),
        fixed: (200.0, 10000.0),
        hourly_share: 0.6,
    },
    Niche {
        category: &IT,
        subcategory: &SYSADMIN,
        occupation: occ(
            "1017484851352698967",
            "Systems Administration",
            "upworkOccupation:systemsadministration",
        ),
        weight: 3,
        role: "a system administrator",
        core: &[
            sk("linux", "Linux"),
            sk("network-administration", "Network Administration"),
            sk("windows-server", "Windows Server"),
            sk("microsoft-365", "Microsoft 365"),
        ],
        extra: &[
            sk("vpn", "VPN"),
            sk("firewall", "Firewall"),
            sk("network-security", "Network Security"),
        ],
        things: &[
            "office network",
            "email migration",
            "firewall setup",
            "backup system",
        ],
        titles: &[
            "{skill} admin for {thing}",
            "{lvl}sysadmin to handle our {thing}",
            "Help with {thing} ({skill})",
        ],
        tasks: &[
            "We are a 20-person office and our {thing} needs attention.",
            "Remote access is fine; some work has to happen outside office hours.",
        ],
        hourly: (25.0, 80.0),
        fixed: (100.0, 3000.0),
        hourly_share: 0.55,
    },
    Niche {
        category: &MARKETING,
        subcategory: &DIGITAL_MARKETING,
        occupation: occ(
            "1017484851352698968",
            "SEO",
            "upworkOccupation:searchengineoptimization",
        ),
        weight: 6,
        role: "an SEO specialist",
        core: &[
            sk("search-engine-optimization", "Search Engine Optimization"),
            sk("on-page-seo", "On-Page SEO"),
            sk("keyword-research", "Keyword Research"),
            sk("google-analytics", "Google Analytics"),
            sk("link-building", "Link Building"),
        ],
        extra: &[
            sk("google-search-console", "Google Search Console"),
            sk("technical-seo", "Technical SEO"),
            sk("wordpress", "WordPress"),
        ],
        things: &[
            "e-commerce site",
            "dental clinic website",
            "local law firm",
            "SaaS blog",
        ],
        titles: &[
            "{lvl}SEO specialist for our {thing}",
            "{skill} for our {thing}",
            "Improve Google rankings for our {thing}",
        ],
        tasks: &[
            "Organic traffic to our {thing} fell by a third after the last core update.",
            "We want a technical audit, a keyword plan and monthly reporting.",
        ],
        hourly: (15.0, 60.0),
        fixed: (100.0, 3000.0),
        hourly_share: 0.5,
    },
    Niche {
        category: &MARKETING,
        subcategory: &DIGITAL_MARKETING,
        occupation: occ(
            "1017484851352698969",
            "Paid Media Marketing",
            "upworkOccupation:paidmediamarketing",
        ),
        weight: 6,
        role: "a performance marketer",
        core: &[
            sk("social-media-marketing", "Social Media Marketing"),
            sk("facebook-advertising", "Facebook Advertising"),
            sk("google-ads", "Google Ads"),
            sk("email-marketing", "Email Marketing"),
            sk("tiktok-marketing", "TikTok Marketing"),
        ],
        extra: &[
            sk("klaviyo", "Klaviyo"),
            sk("instagram", "Instagram"),
            sk("marketing-strategy", "Marketing Strategy"),
        ],
        things: &[
            "product launch",
            "holiday campaign",
            "Instagram account",
            "lead generation funnel",
            "newsletter",
        ],
        titles: &[
            "{skill} expert for our {thing}",
            "{lvl}marketer to run {skill} for {thing}",
            "Grow our {thing} with {skill} and {skill2}",
        ],
        tasks: &[
            "Our ad spend is around $3,000 a month and the return has been falling.",
            "You will plan, launch and optimise campaigns for our {thing}.",
            "Weekly reports with clear numbers, please.",
        ],
        hourly: (20.0, 75.0),
        fixed: (100.0, 3500.0),
        hourly_share: 0.55,
    },
    Niche {
        category: &MARKETING,
        subcategory: &LEAD_GEN,
        occupation: occ(
            "1017484851352698970",
            "Lead Generation",
            "upworkOccupation:leadgeneration",
        ),
        weight: 4,
        role: "a lead generation specialist",
        core: &[
            sk("lead-generation", "Lead Generation"),
            sk("linkedin", "LinkedIn"),
            sk("cold-calling", "Cold Calling"),
            sk("hubspot", "HubSpot"),
        ],
        extra: &[
            sk("salesforce", "Salesforce"),
            sk("b2b-marketing", "B2B Marketing"),
            sk("appointment-setting", "Appointment Setting"),
        ],
        things: &[
            "B2B SaaS product",
            "real estate agency",
            "recruiting firm",
            "IT services",
        ],
        titles: &[
            "{skill} for our {thing}",
            "Appointment setter for {thing}",
            "{lvl}{skill} specialist",
        ],
        tasks: &[
            "We sell to mid-sized companies and need qualified meetings for our {thing}.",
            "Commission on top of the base rate for every closed deal.",
        ],
        hourly: (10.0, 35.0),
        fixed: (50.0, 1500.0),
        hourly_share: 0.7,
    },
    Niche {
        category: &ADMIN,
        subcategory: &VA,
        occupation: occ(
            "1017484851352698971",
            "Virtual Assistance",
            "upworkOccupation:virtualassistance",
        ),
        weight: 7,
        role: "a virtual assistant",
        core: &[
            sk("virtual-assistance", "Virtual Assistance"),
            sk("email-management", "Email Management"),
            sk("calendar-management", "Calendar Management"),
            sk("administrative-support", "Administrative Support"),
            sk("google-workspace", "Google Workspace"),
        ],
        extra: &[
            sk("customer-service", "Customer Service"),
            sk("social-media-management", "Social Media Management"),
            sk("canva", "Canva"),
        ],
        things: &[
            "inbox and calendar",
            "CRM updates",
            "travel bookings",
            "podcast guest outreach",
            "online store orders",
        ],
        titles: &[
            "Virtual assistant for {thing}",
            "{lvl}executive assistant: {thing}",
            "Part-time VA to manage our {thing}",
        ],
        tasks: &[
            "You will manage our {thing} and keep everything organised in {skill2}.",
            "Reliability matters more than speed; we need someone we can count on every day.",
            "Most tasks are repetitive and we will train you on our tools.",
        ],
        hourly: (6.0, 25.0),
        fixed: (30.0, 800.0),
        hourly_share: 0.8,
    },
    Niche {
        category: &ADMIN,
        subcategory: &DATA_ENTRY,
        occupation: occ(
            "1017484851352698972",
            "Data Entry",
            "upworkOccupation:dataentry",
        ),
        weight: 6,
        role: "a data entry specialist",
        core: &[
            sk("data-entry", "Data Entry"),
            sk("microsoft-excel", "Microsoft Excel"),
            sk("google-sheets", "Google Sheets"),
            sk("transcription", "Transcription"),
            sk("typing", "Typing"),
        ],
        extra: &[
            sk("pdf-conversion", "PDF Conversion"),
            sk("data-cleaning", "Data Cleaning"),
            sk("accuracy-verification", "Accuracy Verification"),
        ],
        things: &[
            "product catalog",
            "CRM contacts",
            "invoices",
            "interview recordings",
            "survey responses",
        ],
        titles: &[
            "{skill} for our {thing}",
            "Copy our {thing} into {skill2}",
            "{lvl}data entry clerk for {thing}",
        ],
        tasks: &[
            "There are about 2,000 records in our {thing} to enter and check.",
            "Accuracy is essential; we will spot-check every batch.",
        ],
        hourly: (5.0, 18.0),
        fixed: (20.0, 600.0),
        hourly_share: 0.55,
    },
    Niche {
        category: &ADMIN,
        subcategory: &PROJECT_MGMT,
        occupation: occ(
            "1017484851352698973",
            "Project Management",
            "upworkOccupation:projectmanagement",
        ),
        weight: 3,
        role: "a project manager",
        core: &[
            sk("project-management", "Project Management"),
            sk("asana", "Asana"),
            sk("jira", "Jira"),
            sk("trello", "Trello"),
            sk("notion", "Notion"),
        ],
        extra: &[
            sk("agile-project-management", "Agile Project Management"),
            sk("scrum", "Scrum"),
        ],
        things: &[
            "website relaunch",
            "mobile app release",
            "marketing calendar",
            "office move",
        ],
        titles: &[
            "{lvl}project manager for our {thing}",
            "{skill} expert to organise our {thing}",
        ],
        tasks: &[
            "We have five freelancers working on our {thing} and nobody coordinating them.",
            "You will run weekly check-ins and keep the board in {skill} up to date.",
        ],
        hourly: (20.0, 60.0),
        fixed: (200.0, 3000.0),
        hourly_share: 0.7,
    },
    Niche {
        category: &SUPPORT,
        subcategory: &CS_SUPPORT,
        occupation: occ(
            "1017484851352698974",
            "Customer Support Representative",
            "upworkOccupation:customersupportrepresentative",
        ),
        weight: 6,
        role: "a customer support agent",
        core: &[
            sk("customer-service", "Customer Service"),
            sk("customer-support", "Customer Support"),
            sk("zendesk", "Zendesk"),
            sk("email-support", "Email Support"),
            sk("gorgias", "Gorgias"),
            sk("intercom", "Intercom"),
        ],
        extra: &[
            sk("live-chat", "Live Chat"),
            sk("english", "English"),
            sk("shopify", "Shopify"),
        ],
        things: &[
            "Shopify store",
            "SaaS product",
            "mobile game",
            "subscription box",
        ],
        titles: &[
            "{skill} agent for our {thing}",
            "{lvl}support rep ({skill}) for {thing}",
            "Night shift customer support for our {thing}",
        ],
        tasks: &[
            "We answer about 150 tickets a day for our {thing}, mostly in {skill2}.",
            "Shifts are flexible but must cover US evenings.",
            "A friendly tone and excellent written English are essential.",
        ],
        hourly: (6.0, 22.0),
        fixed: (50.0, 800.0),
        hourly_share: 0.85,
    },
    Niche {
        category: &SUPPORT,
        subcategory: &CS_SUPPORT,
        occupation: occ(
            "1017484851352698975",
            "Technical Support",
            "upworkOccupation:technicalsupport",
        ),
        weight: 3,
        role: "a technical support specialist",
        core: &[
            sk("technical-support", "Technical Support"),
            sk("help-desk", "Help Desk"),
            sk("troubleshooting", "Troubleshooting"),
            sk("jira-service-management", "Jira Service Management"),
        ],
        extra: &[sk("saas", "SaaS"), sk("sql", "SQL")],
        things: &["SaaS platform", "point-of-sale app", "smart home devices"],
        titles: &["{skill} for our {thing}", "{lvl}tier 2 support for {thing}"],
        tasks: &[
            "You will troubleshoot customer issues with our {thing} and escalate real bugs.",
            "Some knowledge of {skill2} helps with the harder tickets.",
        ],
        hourly: (10.0, 35.0),
        fixed: (100.0, 1000.0),
        hourly_share: 0.85,
    },
    Niche {
        category: &TRANSLATION,
        subcategory: &LOCALIZATION,
        occupation: occ(
            "1017484851352698976",
            "Translation",
            "upworkOccupation:translation",
        ),
        weight: 5,
        role: "a translator",
        core: &[
            sk("spanish", "Spanish"),
            sk("german", "German"),
            sk("french", "French"),
            sk("portuguese", "Portuguese"),
            sk("japanese", "Japanese"),
            sk("translation", "Translation"),
        ],
        extra: &[
            sk("english", "English"),
            sk("localization", "Localization"),
            sk("proofreading", "Proofreading"),
        ],
        things: &[
            "product manual",
            "website",
            "mobile app strings",
            "legal contract",
            "marketing brochure",
        ],
        titles: &[
            "{skill} to English translation of our {thing}",
            "Translate our {thing} into {skill}",
            "{lvl}{skill} translator for {thing}",
            "Native {skill} speaker to localize our {thing}",
        ],
        tasks: &[
            "The {thing} is about 8,000 words and has to read naturally in {skill}.",
            "Texts contain special characters (ä, ö, ü, ß, ç, é, ñ) that must be kept intact.",
            "Native speakers only; machine translation will be rejected.",
        ],
        hourly: (15.0, 45.0),
        fixed: (30.0, 2000.0),
        hourly_share: 0.2,
    },
];

pub(super) const COMPANIES: &[&str] = &[
    "a small fintech startup",
    "an e-commerce brand",
    "a digital marketing agency",
    "a non-profit organization",
    "a family-owned bakery",
    "a B2B SaaS company",
    "a real estate brokerage",
    "a boutique hotel",
    "a solo founder",
    "a healthcare clinic",
    "a logistics company",
    "an online education platform",
    "a design studio in Zürich",
    "a startup based in São Paulo",
    "a café chain in Montréal",
    "a law firm",
    "a mobile game studio",
    "a fitness coaching business",
];

pub(super) const OPENINGS: &[&str] = &[
    "We are {company} looking for {role} to help with our {thing}.",
    "Hi! I run {company} and I need {role} for our {thing}.",
    "We’re {company} and we need {role} who can own our {thing}.",
    "Hello, we are {company}. We need {role} to work on our {thing}.",
    "Looking for {role} to join {company} and help with our {thing}.",
];

pub(super) const REQUIREMENTS: &[&str] = &[
    "You should have solid experience with {skill} and {skill2}.",
    "Strong {skill} skills are a must; experience with {skill2} is a plus.",
    "Please show us previous work with {skill} and {skill3}.",
    "Familiarity with {skill3} will help a lot.",
];

pub(super) const ENTRY_SENTENCES: &[&str] = &[
    "This is a good fit for someone early in their career.",
    "Beginners are welcome if you are eager to learn.",
];
pub(super) const INTERMEDIATE_SENTENCES: &[&str] = &[
    "We need someone with a few years of hands-on experience.",
    "You should be comfortable working independently.",
];
pub(super) const EXPERT_SENTENCES: &[&str] = &[
    "Only senior specialists with a strong track record, please.",
    "We need a true expert who has done this many times before.",
];
pub(super) const UNSTATED_SENTENCES: &[&str] = &["Tell us about your experience in your proposal."];

pub(super) const LOGISTICS: &[&str] = &[
    "We are based in {city}, so some overlap with our working hours would help.",
    "This could turn into a long-term collaboration for the right person.",
    "Please start your proposal with the word \"{codeword}\" so we know you read the whole post.",
    "We’ll share access and documentation once the contract starts.",
    "Agencies are welcome, but we prefer to talk to the person doing the work.",
    "Clear communication and regular updates matter more to us than speed.",
];
pub(super) const FIXED_SENTENCES: &[&str] = &[
    "The budget is fixed — please don’t bid above it.",
    "Payment is split into milestones.",
];
pub(super) const HOURLY_SENTENCES: &[&str] = &[
    "We start with a short paid trial.",
    "Please track your time with the Upwork app.",
];

pub(super) const CODEWORDS: &[&str] = &["banana", "lighthouse", "pineapple", "orbit", "marigold"];

/// A place clients come from: a country, how common it is, and its cities.
pub(super) struct Place {
    pub(super) country: Country,
    pub(super) weight: u32,
    pub(super) cities: &'static [City],
}

/// A city with its state, time zone and UTC offset in seconds.
type City = (&'static str, Option<&'static str>, &'static str, i32);

const fn country(
    name: &'static str,
    iso2: &'static str,
    iso3: &'static str,
    eu: bool,
    phone_code: &'static str,
) -> Country {
    Country {
        name,
        iso2,
        iso3,
        eu,
        phone_code,
    }
}

pub(super) static PLACES: &[Place] = &[
    Place {
        country: country("United States", "US", "USA", false, "+1"),
        weight: 40,
        cities: &[
            ("New York", Some("NY"), "America/New_York", -18_000),
            ("San Francisco", Some("CA"), "America/Los_Angeles", -28_800),
            ("Los Angeles", Some("CA"), "America/Los_Angeles", -28_800),
            ("Austin", Some("TX"), "America/Chicago", -21_600),
            ("Chicago", Some("IL"), "America/Chicago", -21_600),
            ("Miami", Some("FL"), "America/New_York", -18_000),
            ("Seattle", Some("WA"), "America/Los_Angeles", -28_800),
            ("Denver", Some("CO"), "America/Denver", -25_200),
            ("Boston", Some("MA"), "America/New_York", -18_000),
            ("Phoenix", Some("AZ"), "America/Phoenix", -25_200),
        ],
    },
    Place {
        country: country("United Kingdom", "GB", "GBR", false, "+44"),
        weight: 9,
        cities: &[
            ("London", None, "Europe/London", 0),
            ("Manchester", None, "Europe/London", 0),
            ("Edinburgh", None, "Europe/London", 0),
            ("Bristol", None, "Europe/London", 0),
        ],
    },
    Place {
        country: country("Canada", "CA", "CAN", false, "+1"),
        weight: 7,
        cities: &[
            ("Toronto", Some("ON"), "America/Toronto", -18_000),
            ("Vancouver", Some("BC"), "America/Vancouver", -28_800),
            ("Montréal", Some("QC"), "America/Toronto", -18_000),
            ("Calgary", Some("AB"), "America/Edmonton", -25_200),
        ],
    },
    Place {
        country: country("Australia", "AU", "AUS", false, "+61"),
        weight: 7,
        cities: &[
            ("Sydney", Some("NSW"), "Australia/Sydney", 36_000),
            ("Melbourne", Some("VIC"), "Australia/Melbourne", 36_000),
            ("Brisbane", Some("QLD"), "Australia/Brisbane", 36_000),
            ("Perth", Some("WA"), "Australia/Perth", 28_800),
        ],
    },
    Place {
        country: country("Germany", "DE", "DEU", true, "+49"),
        weight: 5,
        cities: &[
            ("Berlin", None, "Europe/Berlin", 3_600),
            ("Hamburg", None, "Europe/Berlin", 3_600),
            ("München", None, "Europe/Berlin", 3_600),
            ("Düsseldorf", None, "Europe/Berlin", 3_600),
        ],
    },
    Place {
        country: country("Switzerland", "CH", "CHE", false, "+41"),
        weight: 2,
        cities: &[
            ("Zürich", None, "Europe/Zurich", 3_600),
            ("Genève", None, "Europe/Zurich", 3_600),
            ("Basel", None, "Europe/Zurich", 3_600),
        ],
    },
    Place {
        country: country("France", "FR", "FRA", true, "+33"),
        weight: 3,
        cities: &[
            ("Paris", None, "Europe/Paris", 3_600),
            ("Lyon", None, "Europe/Paris", 3_600),
        ],
    },
    Place {
        country: country("Netherlands", "NL", "NLD", true, "+31"),
        weight: 3,
        cities: &[
            ("Amsterdam", None, "Europe/Amsterdam", 3_600),
            ("Rotterdam", None, "Europe/Amsterdam", 3_600),
        ],
    },
    Place {
        country: country("Brazil", "BR", "BRA", false, "+55"),
        weight: 2,
        cities: &[
            ("São Paulo", Some("SP"), "America/Sao_Paulo", -10_800),
            ("Rio de Janeiro", Some("RJ"), "America/Sao_Paulo", -10_800),
            ("Belo Horizonte", Some("MG"), "America/Sao_Paulo", -10_800),
        ],
    },
    Place {
        country: country("India", "IN", "IND", false, "+91"),
        weight: 4,
        cities: &[
            ("Bengaluru", Some("KA"), "Asia/Kolkata", 19_800),
            ("Mumbai", Some("MH"), "Asia/Kolkata", 19_800),
            ("New Delhi", Some("DL"), "Asia/Kolkata", 19_800),
        ],
    },
    Place {
        country: country("United Arab Emirates", "AE", "ARE", false, "+971"),
        weight: 3,
        cities: &[
            ("Dubai", None, "Asia/Dubai", 14_400),
            ("Abu Dhabi", None, "Asia/Dubai", 14_400),
        ],
    },
    Place {
        country: country("Israel", "IL", "ISR", false, "+972"),
        weight: 2,
        cities: &[("Tel Aviv", None, "Asia/Jerusalem", 7_200)],
    },
    Place {
        country: country("Singapore", "SG", "SGP", false, "+65"),
        weight: 2,
        cities: &[("Singapore", None, "Asia/Singapore", 28_800)],
    },
    Place {
        country: country("Spain", "ES", "ESP", true, "+34"),
        weight: 2,
        cities: &[
            ("Madrid", None, "Europe/Madrid", 3_600),
            ("Barcelona", None, "Europe/Madrid", 3_600),
            ("Málaga", None, "Europe/Madrid", 3_600),
        ],
    },
    Place {
        country: country("Poland", "PL", "POL", true, "+48"),
        weight: 1,
        cities: &[
            ("Kraków", None, "Europe/Warsaw", 3_600),
            ("Warsaw", None, "Europe/Warsaw", 3_600),
        ],
    },
    Place {
        country: country("Sweden", "SE", "SWE", true, "+46"),
        weight: 2,
        cities: &[
            ("Stockholm", None, "Europe/Stockholm", 3_600),
            ("Göteborg", None, "Europe/Stockholm", 3_600),
        ],
    },
    Place {
        country: country("Mexico", "MX", "MEX", false, "+52"),
        weight: 1,
        cities: &[
            (
                "Ciudad de México",
                Some("CDMX"),
                "America/Mexico_City",
                -21_600,
            ),
            ("Guadalajara", Some("JAL"), "America/Mexico_City", -21_600),
        ],
    },
    Place {
        country: country("Ireland", "IE", "IRL", true, "+353"),
        weight: 2,
        cities: &[
            ("Dublin", None, "Europe/Dublin", 0),
            ("Cork", None, "Europe/Dublin", 0),
        ],
    },
    Place {
        country: country("Japan", "JP", "JPN", false, "+81"),
        weight: 1,
        cities: &[
            ("Tokyo", None, "Asia/Tokyo", 32_400),
            ("Osaka", None, "Asia/Tokyo", 32_400),
        ],
    },
    Place {
        country: country("South Africa", "ZA", "ZAF", false, "+27"),
        weight: 1,
        cities: &[
            ("Cape Town", Some("WC"), "Africa/Johannesburg", 7_200),
            ("Johannesburg", Some("GP"), "Africa/Johannesburg", 7_200),
        ],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every category the market uses, for callers that list them.
    fn categories() -> impl Iterator<Item = &'static Category> {
        [
            &WEB_DEV,
            &IT,
            &DATA,
            &DESIGN,
            &MARKETING,
            &WRITING,
            &ADMIN,
            &SUPPORT,
            &TRANSLATION,
        ]
        .into_iter()
    }

    /// Every country clients come from.
    fn countries() -> impl Iterator<Item = &'static Country> {
        PLACES.iter().map(|p| &p.country)
    }

    #[test]
    fn niches_have_enough_words() {
        for niche in NICHES {
            let name = niche.occupation.label;
            assert!(niche.core.len() >= 3, "{name}");
            assert!(
                !niche.extra.is_empty() && !niche.things.is_empty(),
                "{name}"
            );
            assert!(
                !niche.titles.is_empty() && !niche.tasks.is_empty(),
                "{name}"
            );
            assert!(
                niche.hourly.0 < niche.hourly.1 && niche.fixed.0 < niche.fixed.1,
                "{name}"
            );
        }
    }

    #[test]
    fn ids_in_tables_are_unique() {
        let mut ids: Vec<&str> = NICHES.iter().map(|n| n.occupation.id).collect();
        ids.extend(NICHES.iter().map(|n| n.subcategory.id));
        ids.extend(categories().map(|c| c.id));
        ids.sort_unstable();
        let occupations = NICHES.len();
        let mut distinct = ids.clone();
        distinct.dedup();
        // Niches share subcategories, so only count distinct ones.
        let mut subcategories: Vec<&str> = NICHES.iter().map(|n| n.subcategory.id).collect();
        subcategories.sort_unstable();
        subcategories.dedup();
        assert_eq!(
            distinct.len(),
            occupations + subcategories.len() + categories().count()
        );
        assert!(countries().all(|c| c.iso3.len() == 3 && c.iso2.len() == 2));
    }
}
