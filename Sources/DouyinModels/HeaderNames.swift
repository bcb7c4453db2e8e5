import HTTPTypes

/// Every header name the system sets or reads itself, built once.
extension HTTPField.Name {
    /// The user id the gateway verified from the token (`InternalHeader.userID`).
    public static let douyinUserID = Self(InternalHeader.userID)!
    /// The gateway's proof, the shared secret (`InternalHeader.secret`).
    public static let douyinSecret = Self(InternalHeader.secret)!
    /// The client's address as the gateway saw it (`InternalHeader.clientAddress`).
    public static let douyinClientAddress = Self(InternalHeader.clientAddress)!
    public static let requestID = Self(InternalHeader.requestID)!
    /// The versions a service's answer holds for (`AnswerValidity`).
    public static let douyinValidWhile = Self(InternalHeader.validWhile)!
    /// The host the client asked for, so media URLs point back through the gateway.
    public static let forwardedHost = Self("x-forwarded-host")!
    /// The hops a request passed, as proxies append them (read only from trusted proxies).
    public static let forwardedFor = Self("x-forwarded-for")!
}
