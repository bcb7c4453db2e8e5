import DouyinModels

/// Batch RPCs take at most a few pages' worth of ids: a caller cannot make a
/// service load an unbounded set in one call.
public enum RPCBatch {
    public static let maxIDs = 500

    public static func check(_ count: Int) throws(DouyinError) {
        guard count <= maxIDs else { throw DouyinError(.invalidParameter, "at most \(maxIDs) ids per call") }
    }
}
