import DouyinModels

/// Who is making a request, as far as the token says.
public enum Identity: Sendable, Equatable {
    case anonymous
    case user(UserID)
    /// A token was given but is not valid: fails even where a token is optional.
    case rejected(DouyinError)
}
