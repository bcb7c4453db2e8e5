import HTTPTypes
import Testing

@Suite struct HTTPFieldLookupTests {
    @Test func readsLikeTheSubscript() {
        var fields = HTTPFields()
        fields.append(HTTPField(name: .contentType, value: "text/plain"))
        fields.append(HTTPField(name: .accept, value: "a/b"))
        fields.append(HTTPField(name: .accept, value: "c/d"))
        #expect(fields.value(of: .contentType) == "text/plain")
        // Names are matched case-insensitively, as HTTP has them.
        #expect(fields.value(of: HTTPField.Name("Content-Type")!) == "text/plain")
        #expect(fields.value(of: .accept) == "a/b, c/d")
        #expect(fields.value(of: .authorization) == nil)
        for name in [HTTPField.Name.contentType, .accept, .authorization] {
            #expect(fields.value(of: name) == fields[name])
        }
    }
}
