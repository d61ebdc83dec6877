// Interop vectors made by an independent implementation (Python `cryptography` 48), so our
// verifier is checked against signatures it did not produce. Regenerate with:
//
//   python3 - <<'PY'
//     import base64, json
//     from cryptography.hazmat.primitives.asymmetric import rsa, ec, padding
//     from cryptography.hazmat.primitives import hashes
//     from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
//     def b64u(b): return base64.urlsafe_b64encode(b).rstrip(b'=').decode()
//     def i2b(i, n=None):
//         n = n or (i.bit_length() + 7) // 8
//         return i.to_bytes(n, 'big')
//     claims = {"iss": "https://idp.example.test/oauth2/default", "aud": "pulse-oidc-client", "sub": "00u1abcd",
//               "iat": 1700000000, "exp": 1700003600, "nonce": "n-0S6_WzA2Mj", "email": "Ana@Example.test", "email_verified": True}
//     def enc(h, c): return b64u(json.dumps(h, separators=(',', ':')).encode()) + "." + b64u(json.dumps(c, separators=(',', ':')).encode())
//     r = rsa.generate_private_key(public_exponent=65537, key_size=2048)
//     pn = r.public_key().public_numbers()
//     si = enc({"alg": "RS256", "kid": "okta-test-rsa", "typ": "JWT"}, claims)
//     sig = r.sign(si.encode(), padding.PKCS1v15(), hashes.SHA256())
//     print("RSA_JWK", json.dumps({"kty": "RSA", "kid": "okta-test-rsa", "use": "sig", "alg": "RS256", "n": b64u(i2b(pn.n)), "e": b64u(i2b(pn.e))}))
//     print("RSA_TOKEN", si + "." + b64u(sig))
//     e = ec.generate_private_key(ec.SECP256R1())
//     en = e.public_key().public_numbers()
//     si = enc({"alg": "ES256", "kid": "okta-test-ec", "typ": "JWT"}, claims)
//     der = e.sign(si.encode(), ec.ECDSA(hashes.SHA256()))
//     rr, ss = decode_dss_signature(der)
//     print("EC_JWK", json.dumps({"kty": "EC", "kid": "okta-test-ec", "crv": "P-256", "x": b64u(i2b(en.x, 32)), "y": b64u(i2b(en.y, 32))}))
//     print("EC_TOKEN", si + "." + b64u(i2b(rr, 32) + i2b(ss, 32)))
//   PY
//
// (keys differ on each run; paste the four printed values below)

enum InteropVectors {
    static let rsaJWK = #"{"kty": "RSA", "kid": "okta-test-rsa", "use": "sig", "alg": "RS256", "n": "3H40FRG5BXx4C8dVDp3G_8Y0Uqb_nCB9KVqBrMk5B9aryi_TdtwVqSSKajcDsD6v04emo3Cva38WwW66lEwnS5RJGxn89eeEgo8QLeR0DiNXO8KNbBbV5w4u05Lf_ND6kmR5bXWpA2D9vp6z5MsvGPHQQARSmAxWiBOUEQ11dypIJAA77gTn6tk3xS4FyQORZlICuNrnIBcC2wf3-OVypZHATlDyElKrvvFhO4wqkrnEjPoTpz4sABxQnWQiypjU8yUbjQjxqpFs6gaN_6fz210MQ1z_pr7tb9uTls06LUxd5ibADaxs5JBbvT4jm13dfP139QKTdp5YRcflt1CjtQ", "e": "AQAB"}"#
    static let rsaToken = "eyJhbGciOiJSUzI1NiIsImtpZCI6Im9rdGEtdGVzdC1yc2EiLCJ0eXAiOiJKV1QifQ.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlLnRlc3Qvb2F1dGgyL2RlZmF1bHQiLCJhdWQiOiJwdWxzZS1vaWRjLWNsaWVudCIsInN1YiI6IjAwdTFhYmNkIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3MDAwMDM2MDAsIm5vbmNlIjoibi0wUzZfV3pBMk1qIiwiZW1haWwiOiJBbmFARXhhbXBsZS50ZXN0IiwiZW1haWxfdmVyaWZpZWQiOnRydWV9.2sc85o-hCIVDGEQpBksbPrmt360U91epPipylDH4rKXX1CnECQzTx9bt4t1ouTlt1T1x--xaAAsgjVrMVNIph7GoWEiap-bD3yZRWTejXOUiFxpKbXutBLLbH4sbpcCyj6hW4byPCAEraPXYew6EoKu6798igjai-7WCxkkqu_-zTA28Wn9MRfMzWfF-mZ-f0L6-eeDacUS_u2I0lKmhYIs3T7imUwTFcUEqwnq6g4zTqDrj0Mmx8R58QXpIh4NScervhY2aktJi5H-eSQVX_FMr_XGf093VXSTXusaODavO8oUhHgQuk11iSzPsN2vhryfol4jFnFPcj4ZtQ9qSdg"
    static let ecJWK = #"{"kty": "EC", "kid": "okta-test-ec", "crv": "P-256", "x": "dR74xLtuwrLNfmOwSxPSbko0o43NkY64vlL1TSofn5k", "y": "MheqX2M0kNIVkj6ek13SnHPZpQBCeCY29DEpGQxjx6E"}"#
    static let ecToken = "eyJhbGciOiJFUzI1NiIsImtpZCI6Im9rdGEtdGVzdC1lYyIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlLnRlc3Qvb2F1dGgyL2RlZmF1bHQiLCJhdWQiOiJwdWxzZS1vaWRjLWNsaWVudCIsInN1YiI6IjAwdTFhYmNkIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3MDAwMDM2MDAsIm5vbmNlIjoibi0wUzZfV3pBMk1qIiwiZW1haWwiOiJBbmFARXhhbXBsZS50ZXN0IiwiZW1haWxfdmVyaWZpZWQiOnRydWV9.jcuG0x0Bh2s0VgYPQ1UzY7RmIfoCVvcK0urCfClk-uUDsSjGs7tEjd2Bd8VRoedfyf5EfjvpkpqlAUeDyxk3ow"
    /// Claims in both tokens.
    static let issuer = "https://idp.example.test/oauth2/default"
    static let audience = "pulse-oidc-client"
    static let nonce = "n-0S6_WzA2Mj"
    static let issuedAt = 1_700_000_000.0

    // RFC 8037 Appendix A: Ed25519 key (A.1/A.2), thumbprint (A.3), JWS (A.4).
    static let rfc8037D = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
    static let rfc8037X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
    static let rfc8037Thumbprint = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    static let rfc8037SigningInput = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"
    static let rfc8037Signature = "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
}
