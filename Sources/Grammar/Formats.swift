/// `format` values as anchored regexes over the string's characters. Each admits only strings Python
/// `jsonschema`'s format checker accepts (a subset where the standard allows more, noted per format).
enum StringFormat {
    private static let month31 = "(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])"
    private static let month30 = "(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)"
    private static let february = "02-(?:0[1-9]|1\\d|2[0-8])"
    /// Years divisible by 4 but not 100, or by 400 (0000 counts as divisible by 400 but Python's dates start at 1).
    private static let leapYear = "(?:\\d\\d(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
    /// Valid calendar dates, years 0001-9999 (Python's date range).
    static let fullDate = "(?:(?:000[1-9]|00[1-9]\\d|0[1-9]\\d\\d|[1-9]\\d{3})-(?:\(month31)|\(month30)|\(february))|\(leapYear)-02-29)"
    /// hh:mm:ss with optional fraction and a required offset (Z or ±hh:mm); upper-case T and Z, no leap second.
    static let fullTime = "(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d+)?(?:Z|[+-](?:[01]\\d|2[0-3]):[0-5]\\d)"

    /// The formats JSON Schema defines (2020-12 and earlier drafts), which validators may check: one of these that
    /// `pattern` lacks is refused; any other name is only an annotation.
    static let standardNames: Set<String> = [
        "date-time", "date", "time", "duration", "email", "idn-email", "hostname", "idn-hostname", "ipv4", "ipv6",
        "uri", "uri-reference", "iri", "iri-reference", "uuid", "uri-template", "json-pointer", "relative-json-pointer",
        "regex", "color", "host-name", "ip-address",
    ]

    /// The anchored regex of a supported format, or nil.
    static func pattern(_ name: String) -> String? {
        switch name {
        case "date": return "^\(fullDate)$"
        case "time": return "^\(fullTime)$"
        case "date-time": return "^\(fullDate)T\(fullTime)$"
        // A conservative address: jsonschema only asks for an "@".
        case "email": return "^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$"
        case "uuid": return "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
        case "uri": return "^\(uri)$"
        default: return nil
        }
    }

    /// RFC 3986 URIs (a subset: no IP literals, no userinfo): scheme ":" hier-part ["?" query] ["#" fragment].
    private static let uri: String = {
        let unreserved = "A-Za-z0-9._~\\-"
        let subDelims = "!$&'()*+,;="
        let pct = "%[0-9A-Fa-f]{2}"
        let pchar = "(?:[\(unreserved)\(subDelims):@]|\(pct))"
        let regName = "(?:[\(unreserved)\(subDelims)]|\(pct))*"
        let segment = "\(pchar)*"
        let hier = "(?://\(regName)(?::\\d*)?(?:/\(segment))*|/(?:\(pchar)+(?:/\(segment))*)?|\(pchar)+(?:/\(segment))*)?"
        let query = "(?:\\?(?:\(pchar)|[/?])*)?"
        let fragment = "(?:#(?:\(pchar)|[/?])*)?"
        return "[A-Za-z][A-Za-z0-9+.\\-]*:\(hier)\(query)\(fragment)"
    }()
}
