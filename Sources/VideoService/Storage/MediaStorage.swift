import Hummingbird

/// Where video files and covers live. Keys are made by the service
/// (`v/<random>.mp4`, `c/<random>.jpg`, `h/<video>-<attempt>/<file>` for HLS), never taken from a client.
public protocol MediaStorage: Sendable {
    /// Takes a finished local file in under `key` (the file is moved or copied).
    func store(file path: String, as key: String) async throws
    /// Writes `bytes` under `key`.
    func store(bytes: [UInt8], as key: String) async throws
    /// Removes `key`; removing a missing key is not an error.
    func remove(_ key: String) async
    /// Size in bytes, or nil when there is no such object.
    func size(of key: String) async throws -> Int?
    /// The bytes in `range`, streamed.
    func read(_ key: String, range: ClosedRange<Int>, context: some RequestContext) async throws -> ResponseBody
    /// Runs `body` with a local file holding `key`'s bytes: the stored file itself on a
    /// local backend, a download into the scratch folder (removed afterwards) on S3.
    func withLocalFile<T: Sendable>(_ key: String, _ body: (String) async throws -> T) async throws -> T
    /// A folder on the same file system for uploads in progress.
    var scratchDirectory: String { get }
}

enum StorageKey {
    /// Keys are plain relative paths of safe characters: no `..`, no absolute paths.
    static func isValid(_ key: String) -> Bool {
        guard !key.isEmpty, key.utf8.count <= 200, !key.hasPrefix("/"), !key.contains("..") else { return false }
        return key.unicodeScalars.allSatisfy { scalar in
            ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "/" || scalar == "." || scalar == "-"
        }
    }
}
