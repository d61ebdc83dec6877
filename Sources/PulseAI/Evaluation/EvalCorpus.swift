import Foundation

/// The evaluation corpus of `pulse-ai eval`: generated work items in several projects,
/// written from several sentence shapes per kind of work, with planted duplicates written
/// as paraphrases and story points that follow a hidden rule of the text plus noise.
///
/// Each item is a (subject, detail) combination of its project; a detail belongs to a kind
/// of work (copy fix, UI tweak, bug, feature, integration, re-architecture) and has two
/// phrasings. A planted duplicate says the same subject and detail with the other phrasing,
/// another sentence shape and the subject's other name. Hidden rule: the kind gives the base
/// points (1, 2, 3, 5, 8, 13); a scope phrase moves it one step up ("in every region") or down
/// ("on one screen only"); noise moves it one step with probability 0.25.
public struct EvalCorpus: Sendable {
    public struct Item: Sendable {
        public var index: Int
        public var project: String
        public var key: String
        public var summary: String
        public var description: String
        public var storyPoints: Double
        /// The other item of its planted duplicate pair, if any.
        public var duplicateOf: Int?
        public var heldOut: Bool
        /// (subject, detail) identity: items sharing it describe the same work.
        public var topic: String
        /// A search query for this item, written with the other phrasings.
        public var query: String
    }

    public var items: [Item] = []
    public var pairs: [(Int, Int)] = []

    static let fibonacci: [Double] = [1, 2, 3, 5, 8, 13, 21]

    struct Kind {
        var name: String
        var base: Int  // index into fibonacci
        var shapes: [String]  // {S} subject, {D} detail
        var details: [(String, String)]
    }

    static let kinds: [Kind] = [
        Kind(name: "copy", base: 0, shapes: [
            "Fix the wording on the {S}: {D}", "Copy change for the {S} ({D})", "{S}: text needs a correction, {D}",
            "Small text fix in the {S} because {D}", "Please update the label of the {S}, {D}",
        ], details: [
            ("the button says Sumbit instead of Submit", "the submit button has a spelling mistake"),
            ("the heading is in the wrong language", "the title shows up untranslated"),
            ("the help text mentions the old product name", "the hint still uses the former brand name"),
            ("the error message blames the user", "the failure text sounds rude to customers"),
            ("the date is written in US format for European users", "Europeans see month before day in the date"),
            ("the tooltip is cut off after ten words", "the hover hint gets truncated"),
            ("the legal footer has last year's date", "the copyright line is outdated"),
            ("the placeholder text is lorem ipsum", "dummy filler text is still visible"),
            ("two words are swapped in the confirmation", "the confirmation sentence has its words in the wrong order"),
            ("the plural is wrong for one item", "it says 1 items instead of 1 item"),
            ("the email subject line is all caps", "the mail subject is shouting in capitals"),
            ("the support link text says click here", "the help link has a meaningless label"),
        ]),
        Kind(name: "ui", base: 1, shapes: [
            "Adjust the layout of the {S} so that {D}", "UI polish on the {S}: {D}", "Tweak the {S} screen, {D}",
            "Make the {S} look right: {D}", "Visual fix for the {S} where {D}",
        ], details: [
            ("the spacing between cards is uneven", "the gaps between tiles differ"),
            ("the icon is blurry on retina screens", "the symbol looks fuzzy on high resolution displays"),
            ("dark mode shows black text on a dark background", "text is unreadable in the night theme"),
            ("the primary button is not aligned with the form", "the main action button sits off the grid"),
            ("the table overflows on small laptops", "columns spill out of the page on narrow screens"),
            ("the loading spinner never stops after success", "the busy indicator keeps spinning when it is done"),
            ("the colours fail the contrast check", "the palette is too pale for accessibility"),
            ("the modal cannot be closed with Escape", "pressing Esc does not dismiss the dialog"),
            ("the avatar is stretched", "profile pictures look squashed"),
            ("the sticky header covers the first row", "the fixed top bar hides content beneath it"),
            ("focus outlines are missing for keyboard users", "tabbing through the page shows no focus ring"),
            ("the chart legend overlaps the bars", "the graph key is drawn on top of the data"),
        ]),
        Kind(name: "bug", base: 2, shapes: [
            "The {S} breaks: {D}", "Bug: {D} in the {S}", "{S} fails when {D}", "Customers report that the {S} has a problem, {D}",
            "Investigate why {D} in the {S}", "Error in the {S} - {D}",
        ], details: [
            ("it times out after 30 seconds", "it takes longer than half a minute and gives up"),
            ("it shows the wrong currency", "an incorrect currency symbol is displayed"),
            ("it crashes on Safari", "the page dies in Apple's browser"),
            ("duplicate records are created on double click", "clicking twice makes two copies"),
            ("the total is off by one cent", "sums are rounded incorrectly by a penny"),
            ("users are logged out randomly", "sessions expire unexpectedly"),
            ("the export file is empty", "the downloaded file contains no rows"),
            ("notifications are sent twice", "every alert arrives two times"),
            ("the search returns nothing for accented names", "names with diacritics cannot be found"),
            ("it throws a null pointer exception", "a missing value makes it crash with an NPE"),
            ("time zones shift dates by a day", "dates move one day because of the UTC offset"),
            ("uploads larger than 10 MB fail", "big attachments over ten megabytes are rejected"),
            ("the retry loop never ends", "it keeps retrying forever"),
            ("the counter goes negative", "the count drops below zero"),
        ]),
        Kind(name: "feature", base: 3, shapes: [
            "Add {D} to the {S}", "As a customer I want {D} in the {S}", "New: {S} should support {D}",
            "Feature request for the {S}: {D}", "Let users have {D} on the {S}",
        ], details: [
            ("an export to CSV", "a way to download the data as a spreadsheet"),
            ("filtering by date range", "the option to narrow results to a period"),
            ("a dark theme toggle", "a switch for night mode"),
            ("email reminders before the deadline", "mail notifications ahead of the due date"),
            ("bulk editing of several rows", "changing many entries at once"),
            ("two-factor authentication", "a second login factor via an authenticator app"),
            ("saved searches", "the ability to store and reuse queries"),
            ("a comment thread per entry", "discussions attached to each record"),
            ("keyboard shortcuts", "hotkeys for the common actions"),
            ("a printable summary", "a print-friendly overview page"),
            ("sharing via a public link", "an unauthenticated share URL"),
            ("an audit history of changes", "a log of who changed what and when"),
        ]),
        Kind(name: "integration", base: 4, shapes: [
            "Integrate the {S} with {D}", "Migrate the {S} to {D}", "Connect the {S} to {D}",
            "Move the {S} onto {D}", "Build the {S} connector for {D}",
        ], details: [
            ("the new PostgreSQL cluster", "the freshly provisioned Postgres database"),
            ("Stripe webhooks", "payment events pushed by Stripe"),
            ("the Salesforce CRM", "our customer relationship system in Salesforce"),
            ("the Kafka event bus", "the message streaming platform"),
            ("single sign-on through Okta", "company login with the Okta identity provider"),
            ("the S3 archive", "long-term object storage in AWS"),
            ("the SAP ledger", "the finance system from SAP"),
            ("Slack notifications", "messages posted to team chat channels"),
            ("the new search engine", "the Elasticsearch based search backend"),
            ("the Zendesk help desk", "support tickets in Zendesk"),
            ("the data warehouse in BigQuery", "Google's analytics warehouse"),
            ("the feature flag service", "remote toggles from the flag provider"),
        ]),
        Kind(name: "architecture", base: 5, shapes: [
            "Re-architect the {S} to {D}", "Rewrite the {S} so it can {D}", "Redesign of the {S}: {D}",
            "Large refactor of the {S} to {D}", "Split up the {S} in order to {D}",
        ], details: [
            ("run as separate microservices", "be broken into independently deployed services"),
            ("handle ten times the current load", "scale to an order of magnitude more traffic"),
            ("work offline first", "keep working without a network connection"),
            ("support multiple tenants", "serve many customers from one deployment with isolation"),
            ("be event sourced", "store every change as an event log"),
            ("process everything asynchronously", "move all heavy work to background queues"),
            ("replace the legacy monolith", "retire the old all-in-one application"),
            ("be deployable with zero downtime", "ship releases without any outage"),
            ("use a new permission model", "adopt a role based access design"),
            ("survive a region outage", "fail over to another data centre"),
        ]),
    ]

    static let projects: [(key: String, subjects: [(String, String)])] = [
        ("PAY", [("refund flow", "refund process"), ("card tokenisation", "card vault"), ("invoice PDF", "invoice document"),
                 ("currency conversion", "FX rates"), ("payout schedule", "merchant payouts"), ("chargeback notice", "dispute notification"),
                 ("SEPA mandate form", "direct debit authorisation"), ("VAT calculation", "sales tax computation"),
                 ("subscription renewal", "recurring billing"), ("receipt email", "purchase confirmation mail"), ("fraud score", "risk rating"),
                 ("ledger export", "accounting export"), ("checkout page", "payment page"), ("billing address form", "invoice address fields"),
                 ("payment retry job", "failed payment retries"), ("dunning emails", "overdue payment reminders"), ("tax report", "VAT return"),
                 ("merchant onboarding", "seller signup"), ("settlement file", "bank reconciliation file"), ("wallet balance", "stored credit")]),
        ("WEB", [("product listing page", "catalogue page"), ("shopping cart", "basket"), ("search bar", "site search"),
                 ("login page", "sign-in screen"), ("account settings", "profile preferences"), ("wishlist", "saved items"),
                 ("order history", "past purchases"), ("newsletter signup", "mailing list form"), ("product reviews", "customer ratings"),
                 ("home page banner", "landing hero"), ("store locator", "shop finder"), ("size guide", "fit chart"),
                 ("gift card page", "voucher page"), ("cookie banner", "consent popup"), ("returns portal", "return request page"),
                 ("recommendations carousel", "suggested products slider"), ("blog", "articles section"), ("contact form", "support form"),
                 ("delivery tracker", "shipment tracking"), ("comparison table", "product comparison")]),
        ("MOB", [("iOS app onboarding", "iPhone first-run tutorial"), ("Android push notifications", "Android alerts"),
                 ("offline mode", "no-connection mode"), ("barcode scanner", "code reader"), ("in-app chat", "messaging screen"),
                 ("biometric login", "fingerprint and face unlock"), ("app settings", "mobile preferences"), ("photo upload", "camera upload"),
                 ("location sharing", "GPS sharing"), ("home screen widget", "launcher widget"), ("deep links", "app links"),
                 ("tablet layout", "iPad view"), ("crash reporter", "crash reports"), ("app store listing", "store page"),
                 ("loyalty card", "rewards card"), ("map view", "maps screen"), ("calendar sync", "agenda sync"),
                 ("voice search", "spoken search"), ("dark theme", "night appearance"), ("payment sheet", "mobile checkout")]),
        ("OPS", [("deployment pipeline", "CI/CD pipeline"), ("Kubernetes cluster", "k8s cluster"), ("backup job", "nightly backups"),
                 ("log aggregation", "central logging"), ("alerting rules", "monitoring alerts"), ("TLS certificates", "HTTPS certificates"),
                 ("DNS records", "domain name entries"), ("secrets store", "vault for credentials"), ("load balancer", "traffic balancer"),
                 ("cost dashboard", "cloud spend report"), ("staging environment", "pre-production"), ("database failover", "DB switchover"),
                 ("container registry", "image registry"), ("VPN gateway", "remote access tunnel"), ("on-call rota", "pager schedule"),
                 ("disk usage alerts", "storage warnings"), ("terraform modules", "infrastructure code"), ("status page", "uptime page"),
                 ("rate limiter", "request throttling"), ("CDN cache", "edge cache")]),
        ("DATA", [("revenue dashboard", "sales report"), ("nightly ETL", "overnight data load"), ("customer segmentation", "audience clusters"),
                  ("churn model", "attrition prediction"), ("event tracking", "analytics events"), ("data catalogue", "dataset inventory"),
                  ("KPI definitions", "metric glossary"), ("A/B test reports", "experiment results"), ("GDPR deletion job", "right to be forgotten process"),
                  ("data quality checks", "dataset validation"), ("marketing attribution", "campaign credit model"), ("forecast notebook", "prediction notebook"),
                  ("warehouse schema", "table layout"), ("BI permissions", "dashboard access rights"), ("clickstream pipeline", "web events stream"),
                  ("cohort analysis", "retention cohorts"), ("inventory forecast", "stock prediction"), ("finance cube", "accounting OLAP model"),
                  ("survey results", "questionnaire answers"), ("pricing experiments", "price tests")]),
    ]

    /// The description's first sentence restates the item in other words.
    static let leads = [
        "In the {S}, {D}.", "What we see: {D} ({S}).", "Short version: {S}, {D}.", "Context for the {S}: {D}.", "{D} - this is about the {S}.",
    ]
    static let contexts = [
        "Reported by the support team last week.", "Customers in Germany noticed this first.", "This blocks the next release.",
        "Seen on Android 14 and iOS 17.", "Several enterprise accounts asked for it.", "Found during the security review.",
        "It came up in the quarterly planning.", "Sales promised this to a large prospect.", "The on-call engineer flagged it.",
        "Happens mostly on Monday mornings.", "Product wants it before the marketing campaign.", "QA reproduced it twice.",
        "Nobody owns this area at the moment.", "A partner integration depends on it.", "Support gets about five tickets a day about this.",
    ]
    static let acceptance = [
        "Done when the change is live and verified in staging.", "Acceptance: covered by an automated test.",
        "We need a short note in the changelog.", "Please pair with design before starting.", "Product signs off after a demo.",
        "Measure the effect in the weekly report.", "",
    ]
    static let scopeUp = ["It has to work in every region.", "This must be done for all brands at once.", "It affects every service we run."]
    static let scopeDown = ["Only the admin screen is affected.", "It is limited to one screen only.", "Just for internal users for now."]

    /// Builds `count` items (duplicates included) with `seed`; `heldOutShare` of the
    /// duplicate-pair-or-single units are held out (open, no story points).
    public static func generate(count: Int, seed: UInt64, duplicatePairsPerThousand: Int = 60, heldOutShare: Double = 0.2) -> EvalCorpus {
        var rng = SplitMix64(seed: seed)
        func pick<T>(_ array: [T]) -> T { array[Int(rng.next() % UInt64(array.count))] }
        func chance(_ p: Double) -> Bool { Double(rng.next() >> 11) / Double(1 << 53) < p }
        var corpus = EvalCorpus()
        let perProject = count / projects.count
        for (p, project) in projects.enumerated() {
            let target = p == projects.count - 1 ? count - perProject * (projects.count - 1) : perProject
            let pairCount = target * duplicatePairsPerThousand / 1000
            var combos: [(Int, Int, Int)] = []  // subject, kind, detail
            for s in project.subjects.indices { for (k, kind) in kinds.enumerated() { for d in kind.details.indices { combos.append((s, k, d)) } } }
            for i in stride(from: combos.count - 1, to: 0, by: -1) { combos.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            let units = target - pairCount
            var number = 0
            for u in 0..<units {
                let (s, k, d) = combos[u % combos.count]
                let kind = kinds[k]
                let scope = Int(rng.next() % 5)  // 0: up, 1: down, else none
                var step = kind.base + (scope == 0 ? 1 : scope == 1 ? -1 : 0)
                if chance(0.25) { step += chance(0.5) ? 1 : -1 }
                let points = fibonacci[max(0, min(fibonacci.count - 1, step))]
                let held = chance(heldOutShare)
                let context = pick(contexts), accept = pick(acceptance)
                let scopeText = scope == 0 ? pick(scopeUp) : scope == 1 ? pick(scopeDown) : ""
                let primary = chance(0.5)
                func write(usePrimary: Bool, shapeIndex: Int, subjectFirst: Bool) -> (String, String) {
                    let subject = subjectFirst ? project.subjects[s].0 : project.subjects[s].1
                    let detail = usePrimary ? kind.details[d].0 : kind.details[d].1
                    let shape = kind.shapes[shapeIndex % kind.shapes.count]
                    var summary = shape.replacingOccurrences(of: "{S}", with: subject).replacingOccurrences(of: "{D}", with: detail)
                    summary = summary.prefix(1).uppercased() + summary.dropFirst()
                    let lead = pick(leads).replacingOccurrences(of: "{S}", with: subject).replacingOccurrences(of: "{D}", with: detail)
                    return (summary, [lead, context, scopeText, accept].filter { !$0.isEmpty }.joined(separator: " "))
                }
                let shape = Int(rng.next() % UInt64(kind.shapes.count))
                let subjectFirst = chance(0.5)
                let (summary, description) = write(usePrimary: primary, shapeIndex: shape, subjectFirst: subjectFirst)
                let querySubject = subjectFirst ? project.subjects[s].1 : project.subjects[s].0
                let queryDetail = primary ? kind.details[d].1 : kind.details[d].0
                number += 1
                let index = corpus.items.count
                let topic = "\(project.key):\(s):\(k):\(d)"
                corpus.items.append(Item(index: index, project: project.key, key: "\(project.key)-\(number)", summary: summary,
                                         description: description, storyPoints: points, duplicateOf: nil, heldOut: held, topic: topic,
                                         query: "\(querySubject) \(queryDetail)"))
                if u < pairCount {
                    // The planted duplicate: the detail's other phrasing, another sentence shape, its own
                    // context; half of them also call the subject by its other name.
                    let (dupSummary, dupDescription) = write(usePrimary: !primary, shapeIndex: shape + 1 + Int(rng.next() % 3),
                                                             subjectFirst: chance(0.5) ? !subjectFirst : subjectFirst)
                    number += 1
                    let dupIndex = corpus.items.count
                    corpus.items[index].duplicateOf = dupIndex
                    corpus.items.append(Item(index: dupIndex, project: project.key, key: "\(project.key)-\(number)", summary: dupSummary,
                                             description: dupDescription, storyPoints: points, duplicateOf: index, heldOut: held, topic: topic,
                                             query: corpus.items[index].query))
                    corpus.pairs.append((index, dupIndex))
                }
            }
        }
        return corpus
    }
}
