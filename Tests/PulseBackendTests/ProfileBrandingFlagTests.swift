import Foundation
import Logging
import PulseBackend
import PulsePostgres
import PulseTestSupport
import Testing

/// F-USERS, F-BRAND and feature flags.
extension BackendTests {
@Suite("Backend profiles, branding and flags", .timeLimit(.minutes(3)))
struct ProfileBrandingFlagTests {
    @Test func profileAndPreferencesBelongToTheUser() async throws {
        let h = try await BackendHarness()
        do {
            let tenant = try await h.createClient()
            let viewer = try await h.signedIn(tenant, roles: ["viewer"])
            let profile = try await h.request("GET", "/api/v1/me/profile", session: viewer)
            #expect(profile.status == 200 && profile.json["email"] as? String == viewer.email)
            let changed = try await h.request("PATCH", "/api/v1/me/profile", session: viewer,
                                              json: ["first_name": "Ada", "time_zone": "Europe/London", "locale": "en-GB"],
                                              headers: [("If-Match", profile.header("ETag")!)])
            #expect(changed.status == 200 && changed.json["first_name"] as? String == "Ada" && changed.json["locale"] as? String == "en-GB")
            #expect(try await h.request("PATCH", "/api/v1/me/profile", session: viewer, json: ["first_name": "B"],
                                        headers: [("If-Match", profile.header("ETag")!)]).status == 412)
            let badZone = try await h.request("PATCH", "/api/v1/me/profile", session: viewer, json: ["time_zone": "Nowhere/Else"])
            #expect(badZone.status == 400 && badZone.detail.hasPrefix("field 'time_zone'"))
            #expect(try await h.request("PATCH", "/api/v1/me/profile", session: viewer, json: ["email": "x@y.z"]).detail == "field 'email' is not a known field")
            let prefs = try await h.request("PATCH", "/api/v1/me/preferences", session: viewer,
                                            json: ["theme_mode": "dark", "default_dashboard_scope": "team:3", "default_dashboard_period": "90d"])
            #expect(prefs.status == 200 && prefs.json["theme_mode"] as? String == "dark")
            let theme = try await h.database.client(tenant.id).read { tx in
                try await tx.query("SELECT theme_mode FROM users WHERE id = $1", viewer.userID)[0].decode(String.self, at: 0)
            }
            #expect(theme == "dark")
            #expect(try await h.request("PATCH", "/api/v1/me/preferences", session: viewer, json: ["theme_mode": "neon"]).status == 400)
            #expect(try await h.request("PATCH", "/api/v1/me/preferences", session: viewer, json: ["theme_mode": NSNull()]).status == 400)
            #expect(try await h.request("GET", "/api/v1/me/preferences").status == 401)
        } catch { await h.shutdown(); throw error }
        await h.shutdown()
    }

    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 0, count: 64)

    @Test func brandingIsPublicOnlyForTheSignInPage() async throws {
        let h = try await BackendHarness()
        do {
            let tenant = try await h.createClient()
            let admin = try await h.signedIn(tenant, roles: ["admin"]), viewer = try await h.signedIn(tenant, roles: ["viewer"])
            let put = try await h.request("PUT", "/api/v1/settings/branding", session: admin, json: [
                "display_name": "Acme Pay", "light": ["background": "#ffffff", "text": "#777777", "primary": "#0044cc", "on_primary": "#ffffff"],
                "dark": ["background": "#000000", "text": "#eeeeee"],
            ])
            #expect(put.status == 200, "\(put.bodyText)")
            let contrast = try #require(put.json["contrast"] as? [String: [String: [String: Any]]])
            #expect(contrast["light"]?["text_on_background"]?["passes_aa"] as? Bool == false)  // #777 on white is 4.48:1
            #expect(contrast["light"]?["on_primary_on_primary"]?["passes_aa"] as? Bool == true)
            #expect(contrast["dark"]?["text_on_background"]?["passes_aa"] as? Bool == true)
            let badColour = try await h.request("PUT", "/api/v1/settings/branding", session: admin, json: ["light": ["text": "blue"]])
            #expect(badColour.status == 400 && badColour.detail.hasPrefix("field 'light.text'"))
            #expect(try await h.request("PUT", "/api/v1/settings/branding", session: viewer, json: ["display_name": "X"]).status == 403)

            func upload(_ bytes: [UInt8], _ type: String, session: BackendHarness.Session? = nil) async throws -> (Int, String, String?) {
                let r = try await h.request("POST", "/api/v1/settings/branding/logo", session: session ?? admin, body: bytes, headers: [("Content-Type", type)])
                return (r.status, r.detail, r.json["logo_url"] as? String)
            }
            let uploaded = try await upload(Self.png, "image/png")
            #expect(uploaded.0 == 201)
            #expect(try await upload(Array("GIF89a....".utf8), "image/gif").0 == 415)
            #expect(try await upload(Array("not a png at all".utf8), "image/png").1.hasPrefix("field 'logo' is not a PNG file"))
            #expect(try await upload(Self.png + Array(repeating: 0, count: 600 * 1024), "image/png").0 == 413)
            let scripted = #"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#
            #expect(try await upload(Array(scripted.utf8), "image/svg+xml").1 == "field 'logo' SVG contains a <script> element")
            let handler = #"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>"#
            #expect(try await upload(Array(handler.utf8), "image/svg+xml").0 == 400)
            let external = #"<svg xmlns="http://www.w3.org/2000/svg"><image href="https://evil.test/x.png"/></svg>"#
            #expect(try await upload(Array(external.utf8), "image/svg+xml").0 == 400)
            let animated = #"<svg xmlns="http://www.w3.org/2000/svg"><a><set attributeName="href" to="jav&#x61;script:alert(1)"/><rect/></a></svg>"#
            #expect(try await upload(Array(animated.utf8), "image/svg+xml").1 == "field 'logo' SVG animates attributes (<set>)")
            let clean = ##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" fill="#04c"/></svg>"##
            let svg = try await upload(Array(clean.utf8), "image/svg+xml")
            #expect(svg.0 == 201)
            #expect(try await upload(Self.png, "image/png", session: viewer).0 == 403)
            // A browser form: multipart/form-data with one file part, at the web app's path.
            let boundary = "----pulse\(UUID().uuidString.prefix(8))"
            let multipart = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"logo\"; filename=\"l.png\"\r\nContent-Type: image/png\r\n\r\n".utf8)
                + Self.png + Array("\r\n--\(boundary)--\r\n".utf8)
            let form = try await h.request("POST", "/api/v1/branding/logo", session: admin, body: multipart,
                                           headers: [("Content-Type", "multipart/form-data; boundary=\(boundary)")])
            #expect(form.status == 201 && form.json["content_type"] as? String == "image/png", "\(form.bodyText)")
            let ownBranding = try await h.request("GET", "/api/v1/branding", session: admin)
            #expect(ownBranding.status == 200 && ownBranding.json["name"] as? String == "Acme Pay")

            // Public: the branding by slug and the logo by its content hash; nothing else.
            let branding = try await h.request("GET", "/api/v1/branding/\(tenant.slug)")
            #expect(branding.status == 200 && branding.json["display_name"] as? String == "Acme Pay")
            let logoURL = try #require(branding.json["logo_url"] as? String)
            #expect(logoURL.hasPrefix("/api/v1/branding/\(tenant.slug)/logo/"))
            #expect(try await h.request("GET", logoURL).body == Self.png)  // the latest upload (the form's)
            let logo = try await h.request("GET", try #require(svg.2))
            #expect(logo.status == 200 && logo.header("Content-Type") == "image/svg+xml" && logo.header("Content-Security-Policy") != nil)
            #expect(try await h.request("GET", uploaded.2!).body == Self.png)
            #expect(try await h.request("GET", "/api/v1/branding/no-such-client-x").status == 404)
            #expect(try await h.request("GET", "/api/v1/settings/branding").status == 401)
        } catch { await h.shutdown(); throw error }
        await h.shutdown()
    }

    @Test func featureFlagChangesReachOtherServicesWithinASecond() async throws {
        let h = try await BackendHarness()
        do {
            let tenant = try await h.createClient()
            let admin = try await h.signedIn(tenant, roles: ["admin"]), viewer = try await h.signedIn(tenant, roles: ["viewer"])
            // Another service's view, over its own LISTEN connection.
            let cache = FeatureFlagCache(database: h.database)
            let listening = try cache.start(logger: Logger(label: "test.flags"))
            defer { listening.cancel() }
            #expect(try await cache.isEnabled("ai_features", clientID: tenant.id))
            try await Task.sleep(for: .milliseconds(200))  // the LISTEN is in place
            let flags = try await h.request("GET", "/api/v1/features", session: viewer)
            #expect(flags.status == 200 && flags.json["ai_features"] as? Bool == true && flags.json["sso_only_login"] as? Bool == false)
            #expect(try await h.request("PATCH", "/api/v1/features", session: viewer, json: ["ai_features": false]).status == 403)
            let changed = try await h.request("PATCH", "/api/v1/features", session: admin, json: ["ai_features": false],
                                              headers: [("If-Match", flags.header("ETag")!)])
            #expect(changed.status == 200 && changed.json["ai_features"] as? Bool == false)
            let start = ContinuousClock.now
            var seen = true
            while seen, ContinuousClock.now - start < .seconds(1) {
                seen = try await cache.isEnabled("ai_features", clientID: tenant.id)
                if seen { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(!seen, "the flag change did not reach the cache within a second")
            #expect(try await h.request("PATCH", "/api/v1/features", session: admin, json: ["ai_features": "no"]).detail == "field 'ai_features' must be true or false")
            // The web app's spelling: one flag at a time.
            let one = try await h.request("PUT", "/api/v1/feature-flags/sso_only_login", session: admin, json: ["enabled": true])
            #expect(one.status == 200 && one.json["sso_only_login"] as? Bool == true)
            #expect(try await h.request("PUT", "/api/v1/feature-flags/warp_drive", session: admin, json: ["enabled": true]).status == 404)
            #expect(try await h.request("GET", "/api/v1/feature-flags", session: viewer).json["sso_only_login"] as? Bool == true)
            #expect(try await h.request("GET", "/api/v1/features").status == 401)
        } catch { await h.shutdown(); throw error }
        await h.shutdown()
    }
}
}
