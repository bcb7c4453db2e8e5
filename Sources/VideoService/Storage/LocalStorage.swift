import Foundation
import Hummingbird
import NIOCore
import NIOPosix
import _NIOFileSystem

/// Media on the local file system under one root folder.
public struct LocalStorage: MediaStorage {
    public let root: String
    private let files = FileIO()

    public init(root: String) throws {
        self.root = root
        for folder in ["v", "c", "h", "tmp"] {
            try FileManager.default.createDirectory(atPath: "\(root)/\(folder)", withIntermediateDirectories: true)
        }
    }

    public var scratchDirectory: String { "\(root)/tmp" }

    public func store(file path: String, as key: String) async throws {
        let target = try await self.path(creatingFolderFor: key)
        try await FileSystem.shared.moveItem(at: FilePath(path), to: FilePath(target))
    }

    public func store(bytes: [UInt8], as key: String) async throws {
        let target = try await self.path(creatingFolderFor: key)
        try await FileSystem.shared.withFileHandle(forWritingAt: FilePath(target), options: .newFile(replaceExisting: false)) { handle in
            _ = try await handle.write(contentsOf: bytes, toAbsoluteOffset: 0)
        }
    }

    public func remove(_ key: String) async {
        guard let target = try? path(of: key) else { return }
        _ = try? await FileSystem.shared.removeItem(at: FilePath(target))
        // A rendition's folder goes with its last file (removing a non-empty folder fails, harmlessly).
        let folder = FilePath(target).removingLastComponent()
        if key.hasPrefix("h/"), folder.string.hasPrefix(root) { _ = try? await FileSystem.shared.removeItem(at: folder, recursively: false) }
    }

    public func withLocalFile<T: Sendable>(_ key: String, _ body: (String) async throws -> T) async throws -> T {
        try await body(try path(of: key))
    }

    public func size(of key: String) async throws -> Int? {
        guard let info = try await FileSystem.shared.info(forFileAt: FilePath(try path(of: key))) else { return nil }
        return Int(info.size)
    }

    public func read(_ key: String, range: ClosedRange<Int>, context: some RequestContext) async throws -> ResponseBody {
        try await files.loadFile(path: try path(of: key), range: range, context: context)
    }

    /// Nested keys (`h/<video>-<attempt>/<file>`) get their folder on first use.
    private func path(creatingFolderFor key: String) async throws -> String {
        let target = try path(of: key)
        let folder = FilePath(target).removingLastComponent()
        try await FileSystem.shared.createDirectory(at: folder, withIntermediateDirectories: true)
        return target
    }

    private func path(of key: String) throws -> String {
        guard StorageKey.isValid(key) else { throw StorageError.invalidKey }
        return "\(root)/\(key)"
    }
}

public enum StorageError: Error {
    case invalidKey
}
