package dev.odooagent.registry;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;

import javax.net.ssl.SSLHandshakeException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** OCI distribution API client for one repository: resolves tags to digests through Basic or Bearer token auth. */
public final class RegistryClient implements AutoCloseable {

    /** Manifest media types sent in Accept; GHCR answers 404 to a manifest request that lists none of them. */
    public static final String MANIFEST_ACCEPT = String.join(", ",
            "application/vnd.oci.image.index.v1+json",
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.list.v2+json",
            "application/vnd.docker.distribution.manifest.v2+json");

    /** The limit on each HTTP request unless the constructor is given another. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    /** How long a token is cached when the token endpoint does not say. */
    public static final Duration DEFAULT_TOKEN_LIFETIME = Duration.ofSeconds(60);

    private static final String CREDENTIALS_HINT = "check registry.username / registry.password_file";
    private static final Pattern CHALLENGE_PARAM =
            Pattern.compile("([A-Za-z_][A-Za-z0-9_-]*)\\s*=\\s*(?:\"((?:[^\"\\\\]|\\\\.)*)\"|([^,\\s]*))");

    private final WebClient client;
    private final String baseUrl;
    private final String repository;
    private final String username;
    private final String password;
    private final long timeoutMillis;
    private volatile CachedToken cachedToken;
    private volatile boolean basicChallenged;

    private record CachedToken(String value, long expiresAtNanos) {
        boolean valid() {
            return System.nanoTime() - expiresAtNanos < 0;
        }
    }

    private record Challenge(String scheme, Map<String, String> params) {
        boolean bearer() {
            return scheme.equals("bearer");
        }

        boolean basic() {
            return scheme.equals("basic");
        }
    }

    /** A client of {@code baseUrl} (e.g. {@code https://ghcr.io}) for {@code repository}; credentials may both be null. */
    public RegistryClient(Vertx vertx, String baseUrl, String repository, String username, String password) {
        this(vertx, baseUrl, repository, username, password, DEFAULT_TIMEOUT);
    }

    /** As the five-argument constructor, with {@code timeout} as the limit on each HTTP request. */
    public RegistryClient(Vertx vertx, String baseUrl, String repository, String username, String password,
                          Duration timeout) {
        Objects.requireNonNull(vertx, "vertx");
        this.baseUrl = normalizeBaseUrl(baseUrl);
        this.repository = References.requireRepository(repository);
        this.username = blankToNull(username);
        this.password = blankToNull(password);
        if (this.username != null && this.password == null) {
            throw new IllegalArgumentException("registry.username '" + this.username + "' is set but the password is"
                    + " empty (set registry.password_file, or clear registry.username for anonymous pulls)");
        }
        if (this.username == null && this.password != null) {
            throw new IllegalArgumentException("a registry password is set but registry.username is empty"
                    + " (set registry.username, or clear registry.password_file for anonymous pulls)");
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("registry request timeout must be positive, got " + timeout);
        }
        this.timeoutMillis = timeout.toMillis();
        // Redirects would carry the Authorization header to whatever host the Location names.
        this.client = WebClient.create(vertx, new WebClientOptions()
                .setUserAgent("odoo-agent")
                .setFollowRedirects(false));
    }

    private static String normalizeBaseUrl(String baseUrl) {
        String problem = "registry.url '" + baseUrl + "' is not an http(s) URL (e.g. https://ghcr.io or"
                + " http://127.0.0.1:5000)";
        if (baseUrl == null || baseUrl.isBlank()) {
            throw new IllegalArgumentException(problem);
        }
        URI uri;
        try {
            uri = new URI(baseUrl);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(problem, e);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null
                || uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException(problem);
        }
        String url = baseUrl;
        while (url.endsWith("/")) {
            url = url.substring(0, url.length() - 1);
        }
        return url;
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }

    /** The registry base URL, without a trailing slash. */
    public String baseUrl() {
        return baseUrl;
    }

    /** The repository this client asks about. */
    public String repository() {
        return repository;
    }

    /** Resolves {@code tag} (or a {@code sha256:} digest) to the digest of its manifest or index. */
    public Future<String> resolveDigest(String tag) {
        if (!References.isTag(tag) && !References.isDigest(tag)) {
            return Future.failedFuture(new IllegalArgumentException("cannot resolve '" + tag + "' in " + repository
                    + ": expected a tag such as v1 or sha-057bb3a, or a sha256:<64 hex> digest"));
        }
        String path = "/v2/" + repository + "/manifests/" + tag;
        return call(HttpMethod.HEAD, path, tag, MANIFEST_ACCEPT).compose(head -> {
            if (head.statusCode() != 200) {
                return Future.failedFuture(statusError(head, tag, false));
            }
            String digest = head.getHeader("Docker-Content-Digest");
            if (References.isDigest(digest)) {
                return Future.succeededFuture(digest);
            }
            return call(HttpMethod.GET, path, tag, MANIFEST_ACCEPT).compose(get -> {
                if (get.statusCode() != 200) {
                    return Future.failedFuture(statusError(get, tag, false));
                }
                Buffer body = get.bodyAsBuffer();
                if (body == null || body.length() == 0) {
                    return Future.failedFuture(new RegistryException(baseUrl, repository, tag, 200,
                            "manifest has no Docker-Content-Digest header and an empty body",
                            "the registry does not follow the OCI distribution API", false, null));
                }
                return Future.succeededFuture(sha256(body.getBytes()));
            });
        });
    }

    /** Checks that the registry answers {@code GET /v2/} with the configured credentials. */
    public Future<Void> ping() {
        return call(HttpMethod.GET, "/v2/", null, null).compose(response -> response.statusCode() == 200
                ? Future.succeededFuture()
                : Future.failedFuture(statusError(response, null, true)));
    }

    /** Closes the underlying HTTP client. */
    @Override
    public void close() {
        client.close();
    }

    private Future<HttpResponse<Buffer>> call(HttpMethod method, String path, String reference, String accept) {
        String first = preemptiveAuthorization();
        return send(method, path, reference, accept, first).compose(response -> {
            if (response.statusCode() != 401) {
                return Future.succeededFuture(response);
            }
            Challenge challenge = challenge(response.headers().getAll("WWW-Authenticate"));
            if (challenge == null) {
                return Future.succeededFuture(response);
            }
            if (challenge.basic()) {
                if (username == null || isBasic(first)) {
                    return Future.succeededFuture(response);
                }
                basicChallenged = true;
                return send(method, path, reference, accept, basicAuthorization());
            }
            cachedToken = null;
            return fetchToken(challenge, reference)
                    .compose(token -> send(method, path, reference, accept, "Bearer " + token));
        });
    }

    private String preemptiveAuthorization() {
        CachedToken token = cachedToken;
        if (token != null && token.valid()) {
            return "Bearer " + token.value();
        }
        if (basicChallenged && username != null) {
            return basicAuthorization();
        }
        return null;
    }

    private static boolean isBasic(String authorization) {
        return authorization != null && authorization.startsWith("Basic ");
    }

    private String basicAuthorization() {
        String pair = username + ":" + password;
        return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
    }

    private Future<HttpResponse<Buffer>> send(HttpMethod method, String path, String reference, String accept,
                                              String authorization) {
        HttpRequest<Buffer> request = client.requestAbs(method, baseUrl + path).timeout(timeoutMillis);
        if (accept != null) {
            request.putHeader("Accept", accept);
        }
        if (authorization != null) {
            request.putHeader("Authorization", authorization);
        }
        return request.send().recover(failure -> Future.failedFuture(transportError(failure, reference, baseUrl)));
    }

    private Future<String> fetchToken(Challenge challenge, String reference) {
        String realm = challenge.params().get("realm");
        if (realm == null || !(realm.startsWith("https://") || realm.startsWith("http://"))) {
            return Future.failedFuture(new RegistryException(baseUrl, repository, reference, 401,
                    "Bearer challenge names no http(s) token realm (realm=" + realm + ")",
                    "the registry's token service is misconfigured", false, null));
        }
        HttpRequest<Buffer> request = client.getAbs(realm).timeout(timeoutMillis)
                .addQueryParam("scope", "repository:" + repository + ":pull");
        String service = challenge.params().get("service");
        if (service != null) {
            request.addQueryParam("service", service);
        }
        if (username != null) {
            request.basicAuthentication(username, password);
        }
        return request.send()
                .recover(failure -> Future.failedFuture(transportError(failure, reference, realm)))
                .compose(response -> {
                    if (response.statusCode() != 200) {
                        return Future.failedFuture(tokenError(response.statusCode(), realm, reference));
                    }
                    return parseToken(response, realm, reference);
                });
    }

    private Future<String> parseToken(HttpResponse<Buffer> response, String realm, String reference) {
        String token;
        long expiresIn;
        try {
            JsonObject body = response.bodyAsJsonObject();
            if (body == null) {
                throw new IllegalArgumentException("empty body");
            }
            token = blankToNull(body.getString("token"));
            if (token == null) {
                token = blankToNull(body.getString("access_token"));
            }
            Number seconds = body.getNumber("expires_in");
            expiresIn = seconds == null || seconds.longValue() <= 0
                    ? DEFAULT_TOKEN_LIFETIME.toSeconds() : seconds.longValue();
        } catch (RuntimeException e) {
            return Future.failedFuture(new RegistryException(baseUrl, repository, reference, 200,
                    "token endpoint " + realm + " answered with a body that is not a token JSON object",
                    "the registry's token service is misconfigured", false, null));
        }
        if (token == null) {
            return Future.failedFuture(new RegistryException(baseUrl, repository, reference, 200,
                    "token endpoint " + realm + " answered without a token or access_token",
                    "the registry's token service is misconfigured", false, null));
        }
        cachedToken = new CachedToken(token, System.nanoTime() + Duration.ofSeconds(expiresIn).toNanos());
        return Future.succeededFuture(token);
    }

    private static Challenge challenge(List<String> headers) {
        Challenge basic = null;
        for (String header : headers) {
            String trimmed = header.trim();
            int space = trimmed.indexOf(' ');
            String scheme = (space < 0 ? trimmed : trimmed.substring(0, space)).toLowerCase(Locale.ROOT);
            Map<String, String> params = new HashMap<>();
            if (space >= 0) {
                Matcher m = CHALLENGE_PARAM.matcher(trimmed.substring(space + 1));
                while (m.find()) {
                    String value = m.group(2) != null ? m.group(2).replaceAll("\\\\(.)", "$1") : m.group(3);
                    params.put(m.group(1).toLowerCase(Locale.ROOT), value);
                }
            }
            Challenge challenge = new Challenge(scheme, params);
            if (challenge.bearer()) {
                return challenge;
            }
            if (challenge.basic()) {
                basic = challenge;
            }
        }
        return basic;
    }

    private RegistryException statusError(HttpResponse<Buffer> response, String reference, boolean ping) {
        int status = response.statusCode();
        if (status >= 300 && status < 400) {
            return new RegistryException(baseUrl, repository, reference, status,
                    "redirect to " + response.getHeader("Location") + " not followed",
                    "set registry.url to the registry's own address", false, null);
        }
        String what = reference != null && References.isDigest(reference) ? "digest" : "tag";
        return switch (status) {
            case 401 -> new RegistryException(baseUrl, repository, reference, status,
                    username == null ? "authentication required" : "credentials rejected", CREDENTIALS_HINT, false,
                    null);
            case 403 -> new RegistryException(baseUrl, repository, reference, status, "access denied",
                    "the account lacks pull access to this repository; " + CREDENTIALS_HINT, false, null);
            case 404 -> ping
                    ? new RegistryException(baseUrl, repository, null, status, "no registry API at /v2/",
                    "check registry.url", false, null)
                    : new RegistryException(baseUrl, repository, reference, status, what + " not found",
                    "check that it was pushed to this repository and that registry.url and service.image match",
                    false, null);
            case 429 -> new RegistryException(baseUrl, repository, reference, status, "too many requests",
                    "rate limited; raise registry.poll_interval if this persists", true, null);
            default -> status >= 500
                    ? new RegistryException(baseUrl, repository, reference, status, "server error",
                    "registry-side failure; check the registry's status", true, null)
                    : new RegistryException(baseUrl, repository, reference, status, "unexpected answer",
                    "the registry does not follow the OCI distribution API here; check registry.url", false, null);
        };
    }

    private RegistryException tokenError(int status, String realm, String reference) {
        String problem = "token endpoint " + realm + " refused the token request";
        if (status == 401 || status == 403) {
            return new RegistryException(baseUrl, repository, reference, status, problem, CREDENTIALS_HINT, false,
                    null);
        }
        boolean retryable = status == 429 || status >= 500;
        return new RegistryException(baseUrl, repository, reference, status, problem,
                retryable ? "the token service failed; check the registry's status" : "the registry's token service is misconfigured",
                retryable, null);
    }

    private RegistryException transportError(Throwable failure, String reference, String target) {
        if (failure instanceof TimeoutException) {
            return new RegistryException(baseUrl, repository, reference, 0,
                    "no answer from " + target + " within " + timeoutMillis + " ms",
                    "registry slow or unreachable; check registry.url and the network", true, failure);
        }
        if (failure instanceof SSLHandshakeException) {
            return new RegistryException(baseUrl, repository, reference, 0,
                    "TLS handshake with " + target + " failed: " + failure.getMessage(),
                    "check the scheme of registry.url and the registry's certificate", false, failure);
        }
        if (failure instanceof UnknownHostException) {
            return new RegistryException(baseUrl, repository, reference, 0,
                    "cannot resolve the host of " + target, "check registry.url and DNS", true, failure);
        }
        String detail = failure.getMessage() != null ? failure.getMessage() : failure.getClass().getSimpleName();
        String problem = failure instanceof ConnectException
                ? "cannot connect to " + target + ": " + detail
                : "request to " + target + " failed: " + detail;
        return new RegistryException(baseUrl, repository, reference, 0, problem,
                "check registry.url and the network", true, failure);
    }

    private static String sha256(byte[] bytes) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM offers no SHA-256", e);
        }
    }
}
