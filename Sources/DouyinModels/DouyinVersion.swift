/// The product's version, as the registry, the spans and `/healthz` report it.
public enum DouyinVersion {
    public static let current = "0.1.0"
}
