package dev.odooagent.registry;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;

import static dev.odooagent.registry.FakeRegistry.PASSWORD;
import static dev.odooagent.registry.FakeRegistry.REPOSITORY;
import static dev.odooagent.registry.FakeRegistry.USER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(VertxExtension.class)
class RegistryClientTest {

    private FakeRegistry fake;

    @BeforeEach
    void startFakeRegistry(Vertx vertx, VertxTestContext ctx) {
        fake = new FakeRegistry();
        fake.start(vertx).onComplete(ctx.succeedingThenComplete());
    }

    private RegistryClient client(Vertx vertx, String user, String password) {
        return new RegistryClient(vertx, fake.url(), REPOSITORY, user, password);
    }

    @Test
    void resolvesAnonymously(Vertx vertx, VertxTestContext ctx) {
        client(vertx, null, null).resolveDigest("v1").onComplete(ctx.succeeding(digest -> ctx.verify(() -> {
            assertEquals(fake.digest, digest);
            assertEquals(1, fake.registryRequests.size());
            FakeRegistry.Seen head = fake.registryRequests.get(0);
            assertEquals(HttpMethod.HEAD, head.method());
            assertEquals("/v2/jgtolentino/odoo-ce/manifests/v1", head.path());
            assertNull(head.header("Authorization"));
            ctx.completeNow();
        })));
    }

    @Test
    void answersBasicChallengeAndThenSendsBasicUpFront(Vertx vertx, VertxTestContext ctx) {
        fake.auth = FakeRegistry.Auth.BASIC;
        RegistryClient client = client(vertx, USER, PASSWORD);
        client.resolveDigest("v1")
                .compose(first -> client.resolveDigest("v1").map(second -> List.of(first, second)))
                .onComplete(ctx.succeeding(digests -> ctx.verify(() -> {
                    assertEquals(List.of(fake.digest, fake.digest), digests);
                    List<FakeRegistry.Seen> seen = fake.registryRequests;
                    assertEquals(3, seen.size(), "challenge, retry with Basic, then Basic up front");
                    assertNull(seen.get(0).header("Authorization"));
                    assertEquals(FakeRegistry.basic(USER, PASSWORD), seen.get(1).header("Authorization"));
                    assertEquals(FakeRegistry.basic(USER, PASSWORD), seen.get(2).header("Authorization"));
                    assertTrue(fake.tokenRequests.isEmpty());
                    ctx.completeNow();
                })));
    }

    @Test
    void answersBearerChallengeWithServiceScopeAndCredentialsAndCachesTheToken(Vertx vertx, VertxTestContext ctx) {
        fake.auth = FakeRegistry.Auth.BEARER;
        RegistryClient client = client(vertx, USER, PASSWORD);
        client.resolveDigest("v1")
                .compose(first -> client.resolveDigest("v1").map(second -> List.of(first, second)))
                .onComplete(ctx.succeeding(digests -> ctx.verify(() -> {
                    assertEquals(List.of(fake.digest, fake.digest), digests);
                    assertEquals(1, fake.tokenRequests.size(), "the token is cached across resolves");
                    FakeRegistry.Seen token = fake.tokenRequests.get(0);
                    assertEquals(FakeRegistry.SERVICE, token.params().get("service"));
                    assertEquals("repository:" + REPOSITORY + ":pull", token.params().get("scope"));
                    assertEquals(FakeRegistry.basic(USER, PASSWORD), token.header("Authorization"));
                    List<FakeRegistry.Seen> seen = fake.registryRequests;
                    assertEquals(3, seen.size(), "challenge, retry with the token, then the cached token");
                    assertNull(seen.get(0).header("Authorization"));
                    assertEquals("Bearer " + FakeRegistry.TOKEN, seen.get(1).header("Authorization"));
                    assertEquals("Bearer " + FakeRegistry.TOKEN, seen.get(2).header("Authorization"));
                    ctx.completeNow();
                })));
    }

    @Test
    void fetchesAnonymousTokenWhenNoCredentialsAreConfigured(Vertx vertx, VertxTestContext ctx) {
        fake.auth = FakeRegistry.Auth.BEARER;
        fake.anonymousTokens = true;
        client(vertx, null, null).resolveDigest("v1").onComplete(ctx.succeeding(digest -> ctx.verify(() -> {
            assertEquals(fake.digest, digest);
            assertEquals(1, fake.tokenRequests.size());
            assertNull(fake.tokenRequests.get(0).header("Authorization"));
            ctx.completeNow();
        })));
    }

    @Test
    void pingFollowsTheSameAuthFlow(Vertx vertx, VertxTestContext ctx) {
        fake.auth = FakeRegistry.Auth.BEARER;
        client(vertx, USER, PASSWORD).ping().onComplete(ctx.succeeding(v -> ctx.verify(() -> {
            assertEquals(1, fake.tokenRequests.size());
            assertEquals("/v2/", fake.registryRequests.get(1).path());
            assertEquals("Bearer " + FakeRegistry.TOKEN, fake.registryRequests.get(1).header("Authorization"));
            ctx.completeNow();
        })));
    }

    @Test
    void registryLikeGhcrAnswers404WithoutAcceptTypesAnd200WithThem(Vertx vertx, VertxTestContext ctx) {
        fake.requireAcceptLikeGhcr = true;
        WebClient bare = WebClient.create(vertx);
        bare.headAbs(fake.url() + "/v2/" + REPOSITORY + "/manifests/v1").send()
                .compose(plain -> {
                    ctx.verify(() -> assertEquals(404, plain.statusCode(), "the fake must mimic GHCR"));
                    return client(vertx, null, null).resolveDigest("v1");
                })
                .onComplete(ctx.succeeding(digest -> ctx.verify(() -> {
                    assertEquals(fake.digest, digest);
                    String accept = fake.registryRequests.get(1).header("Accept");
                    for (String type : List.of("application/vnd.oci.image.index.v1+json",
                            "application/vnd.oci.image.manifest.v1+json",
                            "application/vnd.docker.distribution.manifest.list.v2+json",
                            "application/vnd.docker.distribution.manifest.v2+json")) {
                        assertTrue(accept.contains(type), "Accept lacks " + type + ": " + accept);
                    }
                    ctx.completeNow();
                })));
    }

    @Test
    void fallsBackToGetAndHashesTheBodyWhenHeadHasNoDigest(Vertx vertx, VertxTestContext ctx) {
        fake.sendDigestHeader = false;
        client(vertx, null, null).resolveDigest("v1").onComplete(ctx.succeeding(digest -> ctx.verify(() -> {
            assertEquals(FakeRegistry.sha256(fake.manifest.getBytes()), digest);
            assertEquals(List.of(HttpMethod.HEAD, HttpMethod.GET),
                    fake.registryRequests.stream().map(FakeRegistry.Seen::method).toList());
            ctx.completeNow();
        })));
    }

    @Test
    void resolvesADigestReference(Vertx vertx, VertxTestContext ctx) {
        client(vertx, null, null).resolveDigest(fake.digest).onComplete(ctx.succeeding(digest -> ctx.verify(() -> {
            assertEquals(fake.digest, digest);
            ctx.completeNow();
        })));
    }

    @Test
    void wrongBasicPasswordFailsWithHintAndWithoutThePassword(Vertx vertx, VertxTestContext ctx) {
        fake.auth = FakeRegistry.Auth.BASIC;
        String wrong = "wrong-Pa55word-42";
        client(vertx, USER, wrong).resolveDigest("v1").onComplete(ctx.failing(failure -> ctx.verify(() -> {
            RegistryException e = assertInstanceOf(RegistryException.class, failure);
            assertEquals(401, e.status());
            assertFalse(e.retryable());
            String message = e.getMessage();
            assertTrue(message.contains("check registry.username / registry.password_file"), message);
            assertTrue(message.contains(fake.url()), message);
            assertTrue(message.contains(REPOSITORY), message);
            assertTrue(message.contains("tag v1"), message);
            assertTrue(message.contains("HTTP 401"), message);
            assertFalse(message.contains(wrong), message);
            assertEquals(2, fake.registryRequests.size(), "one challenge, one retry, no loop");
            ctx.completeNow();
        })));
    }

    @Test
    void wrongPasswordAtTheTokenEndpointFailsWithHintAndWithoutThePassword(Vertx vertx, VertxTestContext ctx) {
        fake.auth = FakeRegistry.Auth.BEARER;
        String wrong = "wrong-Pa55word-42";
        client(vertx, USER, wrong).resolveDigest("v1").onComplete(ctx.failing(failure -> ctx.verify(() -> {
            RegistryException e = assertInstanceOf(RegistryException.class, failure);
            assertEquals(401, e.status());
            assertFalse(e.retryable());
            assertTrue(e.getMessage().contains("check registry.username / registry.password_file"), e.getMessage());
            assertTrue(e.getMessage().contains("token endpoint"), e.getMessage());
            assertFalse(e.getMessage().contains(wrong), e.getMessage());
            ctx.completeNow();
        })));
    }

    @Test
    void missingCredentialsOnBasicRegistryAsksForThem(Vertx vertx, VertxTestContext ctx) {
        fake.auth = FakeRegistry.Auth.BASIC;
        client(vertx, null, null).resolveDigest("v1").onComplete(ctx.failing(failure -> ctx.verify(() -> {
            RegistryException e = assertInstanceOf(RegistryException.class, failure);
            assertEquals(401, e.status());
            assertTrue(e.getMessage().contains("authentication required"), e.getMessage());
            assertTrue(e.getMessage().contains("check registry.username / registry.password_file"), e.getMessage());
            ctx.completeNow();
        })));
    }

    @Test
    void unknownTagIsNotFoundAndNotRetryable(Vertx vertx, VertxTestContext ctx) {
        client(vertx, null, null).resolveDigest("v9").onComplete(ctx.failing(failure -> ctx.verify(() -> {
            RegistryException e = assertInstanceOf(RegistryException.class, failure);
            assertEquals(404, e.status());
            assertFalse(e.retryable());
            assertTrue(e.getMessage().contains("tag not found"), e.getMessage());
            assertTrue(e.getMessage().contains("tag v9"), e.getMessage());
            ctx.completeNow();
        })));
    }

    @Test
    void serverErrorIsRetryable(Vertx vertx, VertxTestContext ctx) {
        fake.forcedStatus = 503;
        client(vertx, null, null).resolveDigest("v1").onComplete(ctx.failing(failure -> ctx.verify(() -> {
            RegistryException e = assertInstanceOf(RegistryException.class, failure);
            assertEquals(503, e.status());
            assertTrue(e.retryable());
            ctx.completeNow();
        })));
    }

    @Test
    void rateLimitIsRetryable(Vertx vertx, VertxTestContext ctx) {
        fake.forcedStatus = 429;
        client(vertx, null, null).resolveDigest("v1").onComplete(ctx.failing(failure -> ctx.verify(() -> {
            RegistryException e = assertInstanceOf(RegistryException.class, failure);
            assertEquals(429, e.status());
            assertTrue(e.retryable());
            ctx.completeNow();
        })));
    }

    @Test
    void forbiddenIsNotRetryable(Vertx vertx, VertxTestContext ctx) {
        fake.forcedStatus = 403;
        client(vertx, null, null).resolveDigest("v1").onComplete(ctx.failing(failure -> ctx.verify(() -> {
            RegistryException e = assertInstanceOf(RegistryException.class, failure);
            assertFalse(e.retryable());
            assertTrue(e.getMessage().contains("check registry.username / registry.password_file"), e.getMessage());
            ctx.completeNow();
        })));
    }

    @Test
    void redirectIsNotFollowedSoCredentialsStayWithTheRegistry(Vertx vertx, VertxTestContext ctx) {
        fake.auth = FakeRegistry.Auth.BASIC;
        fake.redirectTo = fake.url() + "/elsewhere";
        client(vertx, USER, PASSWORD).resolveDigest("v1").onComplete(ctx.failing(failure -> ctx.verify(() -> {
            RegistryException e = assertInstanceOf(RegistryException.class, failure);
            assertEquals(307, e.status());
            assertFalse(e.retryable());
            assertTrue(e.getMessage().contains("redirect to " + fake.url() + "/elsewhere not followed"),
                    e.getMessage());
            assertEquals(1, fake.registryRequests.size());
            ctx.completeNow();
        })));
    }

    @Test
    void refusedConnectionIsRetryable(Vertx vertx, VertxTestContext ctx) {
        String url = fake.url();
        fake.close()
                .compose(v -> new RegistryClient(vertx, url, REPOSITORY, null, null).resolveDigest("v1"))
                .onComplete(ctx.failing(failure -> ctx.verify(() -> {
                    RegistryException e = assertInstanceOf(RegistryException.class, failure);
                    assertEquals(0, e.status());
                    assertTrue(e.retryable());
                    assertTrue(e.getMessage().contains(url), e.getMessage());
                    ctx.completeNow();
                })));
    }

    @Test
    void silentRegistryTimesOutAsRetryable(Vertx vertx, VertxTestContext ctx) {
        fake.silent = true;
        new RegistryClient(vertx, fake.url(), REPOSITORY, null, null, Duration.ofMillis(300))
                .resolveDigest("v1")
                .onComplete(ctx.failing(failure -> ctx.verify(() -> {
                    RegistryException e = assertInstanceOf(RegistryException.class, failure);
                    assertTrue(e.retryable());
                    assertTrue(e.getMessage().contains("no answer"), e.getMessage());
                    ctx.completeNow();
                })));
    }

    @Test
    void invalidTagFailsWithoutCallingTheRegistry(Vertx vertx, VertxTestContext ctx) {
        client(vertx, null, null).resolveDigest("-bad").onComplete(ctx.failing(failure -> ctx.verify(() -> {
            assertInstanceOf(IllegalArgumentException.class, failure);
            assertTrue(failure.getMessage().contains("'-bad'"), failure.getMessage());
            assertTrue(fake.registryRequests.isEmpty());
            ctx.completeNow();
        })));
    }

    @Test
    void constructorRejectsBadSettingsNamingTheKey(Vertx vertx) {
        IllegalArgumentException url = assertThrows(IllegalArgumentException.class,
                () -> new RegistryClient(vertx, "ghcr.io", REPOSITORY, null, null));
        assertTrue(url.getMessage().contains("registry.url 'ghcr.io'"), url.getMessage());
        IllegalArgumentException repo = assertThrows(IllegalArgumentException.class,
                () -> new RegistryClient(vertx, "https://ghcr.io", "Bad/Repo", null, null));
        assertTrue(repo.getMessage().contains("repository 'Bad/Repo'"), repo.getMessage());
        IllegalArgumentException user = assertThrows(IllegalArgumentException.class,
                () -> new RegistryClient(vertx, "https://ghcr.io", REPOSITORY, "jgtolentino", null));
        assertTrue(user.getMessage().contains("registry.password_file"), user.getMessage());
        assertEquals("https://ghcr.io", new RegistryClient(vertx, "https://ghcr.io/", REPOSITORY, null, null).baseUrl());
    }
}
