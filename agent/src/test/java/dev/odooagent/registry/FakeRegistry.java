package dev.odooagent.registry;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** An in-process OCI registry on a random loopback port that speaks just enough of the distribution API. */
final class FakeRegistry {

    enum Auth { NONE, BASIC, BEARER }

    record Seen(HttpMethod method, String path, MultiMap headers, MultiMap params) {
        String header(String name) {
            return headers.get(name);
        }
    }

    static final String REPOSITORY = "jgtolentino/odoo-ce";
    static final String USER = "testbed";
    static final String PASSWORD = "s3cret-Pa55word";
    static final String TOKEN = "tok-0123456789";
    static final String SERVICE = "fake-registry";
    static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";

    final Buffer manifest = Buffer.buffer("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_INDEX
            + "\",\"manifests\":[]}");
    final String digest = sha256(manifest.getBytes());
    final List<Seen> registryRequests = new CopyOnWriteArrayList<>();
    final List<Seen> tokenRequests = new CopyOnWriteArrayList<>();

    Auth auth = Auth.NONE;
    boolean anonymousTokens;
    boolean requireAcceptLikeGhcr;
    boolean sendDigestHeader = true;
    int forcedStatus;
    String redirectTo;
    boolean silent;
    private HttpServer server;

    Future<FakeRegistry> start(Vertx vertx) {
        return vertx.createHttpServer()
                .requestHandler(this::handle)
                .listen(0, "127.0.0.1")
                .map(s -> {
                    server = s;
                    return this;
                });
    }

    String url() {
        return "http://127.0.0.1:" + server.actualPort();
    }

    Future<Void> close() {
        return server == null ? Future.succeededFuture() : server.close();
    }

    private void handle(HttpServerRequest request) {
        Seen seen = new Seen(request.method(), request.path(), MultiMap.caseInsensitiveMultiMap().addAll(
                request.headers()), MultiMap.caseInsensitiveMultiMap().addAll(request.params()));
        if (silent) {
            return;
        }
        if (request.path().equals("/token")) {
            tokenRequests.add(seen);
            answerToken(request);
            return;
        }
        registryRequests.add(seen);
        if (redirectTo != null) {
            request.response().setStatusCode(307).putHeader("Location", redirectTo).end();
            return;
        }
        if (forcedStatus != 0) {
            request.response().setStatusCode(forcedStatus).end();
            return;
        }
        if (!authorized(request)) {
            request.response().setStatusCode(401)
                    .putHeader("WWW-Authenticate", challenge())
                    .putHeader("Content-Type", "application/json")
                    .end("{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}");
            return;
        }
        if (request.path().equals("/v2/")) {
            request.response().putHeader("Content-Type", "application/json").end("{}");
            return;
        }
        String prefix = "/v2/" + REPOSITORY + "/manifests/";
        if (!request.path().startsWith(prefix)) {
            request.response().setStatusCode(404).end();
            return;
        }
        String reference = request.path().substring(prefix.length());
        String accept = request.getHeader("Accept");
        boolean acceptable = !requireAcceptLikeGhcr || (accept != null && accept.contains(OCI_INDEX));
        if (!acceptable || !(reference.equals("v1") || reference.equals(digest))) {
            request.response().setStatusCode(404).end();
            return;
        }
        var response = request.response().putHeader("Content-Type", OCI_INDEX);
        if (sendDigestHeader) {
            response.putHeader("Docker-Content-Digest", digest);
        }
        if (request.method() == HttpMethod.HEAD) {
            response.putHeader("Content-Length", String.valueOf(manifest.length())).end();
        } else {
            response.end(manifest);
        }
    }

    private boolean authorized(HttpServerRequest request) {
        String authorization = request.getHeader("Authorization");
        return switch (auth) {
            case NONE -> true;
            case BASIC -> basic(USER, PASSWORD).equals(authorization);
            case BEARER -> ("Bearer " + TOKEN).equals(authorization);
        };
    }

    private String challenge() {
        if (auth == Auth.BASIC) {
            return "Basic realm=\"fake-registry\"";
        }
        return "Bearer realm=\"" + url() + "/token\",service=\"" + SERVICE + "\",scope=\"repository:" + REPOSITORY
                + ":pull\"";
    }

    private void answerToken(HttpServerRequest request) {
        String authorization = request.getHeader("Authorization");
        boolean ok = authorization == null ? anonymousTokens : basic(USER, PASSWORD).equals(authorization);
        if (!ok) {
            request.response().setStatusCode(401).end("{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}");
            return;
        }
        request.response().putHeader("Content-Type", "application/json")
                .end(new JsonObject().put("token", TOKEN).put("expires_in", 300).encode());
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password)
                .getBytes(StandardCharsets.UTF_8));
    }

    static String sha256(byte[] bytes) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
