package dev.odooagent.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
class WebhookServerTest {

  private static final Instant NOW = Instant.parse("2025-06-02T08:05:30Z");
  private static final long MAX_BODY = 64 * 1024;

  private final Recorder recorder = new Recorder();
  private WebhookServer server;
  private WebClient client;
  private int port;

  @AfterEach
  void stop(VertxTestContext ctx) {
    if (client != null) {
      client.close();
    }
    (server == null ? Future.<Void>succeededFuture() : server.stop()).onComplete(ctx.succeedingThenComplete());
  }

  static WebhookServer.Settings settings(byte[] secret, String token) {
    return new WebhookServer.Settings("127.0.0.1", 0, MAX_BODY, secret, token, Fixtures.IMAGE,
        WebhookServer.Settings.DEFAULT_RATE_LIMIT_PER_SECOND);
  }

  private Future<Void> start(Vertx vertx, WebhookServer.Settings settings, int permitsPerHour) {
    server = new WebhookServer(settings, recorder, recorder,
        WebhookServer.limiterConfig(permitsPerHour, Duration.ofHours(1)), Clock.fixed(NOW, ZoneOffset.UTC));
    client = WebClient.create(vertx);
    return server.start(vertx).map(p -> {
      port = p;
      return null;
    });
  }

  private Future<Void> start(Vertx vertx) {
    return start(vertx, settings(Fixtures.SECRET, Fixtures.TOKEN), 1000);
  }

  private Future<HttpResponse<Buffer>> github(String event, String delivery, byte[] body) {
    return client.post(port, "127.0.0.1", WebhookServer.GITHUB_PATH)
        .putHeader("Content-Type", "application/json")
        .putHeader(GithubWebhook.EVENT_HEADER, event)
        .putHeader(GithubWebhook.DELIVERY_HEADER, delivery)
        .putHeader(GithubWebhook.SIGNATURE_HEADER, GithubWebhook.sign(Fixtures.SECRET, body))
        .sendBuffer(Buffer.buffer(body));
  }

  private Future<HttpResponse<Buffer>> registry(byte[] body) {
    return client.post(port, "127.0.0.1", WebhookServer.REGISTRY_PATH)
        .putHeader("Content-Type", RegistryNotification.ENVELOPE_MEDIA_TYPE)
        .putHeader("Authorization", "Bearer " + Fixtures.TOKEN)
        .sendBuffer(Buffer.buffer(body));
  }

  private static void assertStatus(HttpResponse<Buffer> response, int status, String field, String value) {
    assertEquals(status, response.statusCode(), response.bodyAsString());
    assertEquals("application/json", response.getHeader("Content-Type"));
    assertEquals(value, response.bodyAsJsonObject().getString(field), response.bodyAsString());
  }

  @Test
  void signedPackageEventIsAcceptedAndBecomesATrigger(Vertx vertx, VertxTestContext ctx) {
    String delivery = UUID.randomUUID().toString();
    start(vertx)
        .compose(v -> github("package", delivery, Fixtures.bytes(Fixtures.githubPackage())))
        .onComplete(ctx.succeeding(response -> ctx.verify(() -> {
          assertStatus(response, 202, "status", "accepted");
          assertEquals(List.of(new Trigger(Source.GITHUB, Fixtures.GITHUB_TAG, Fixtures.INDEX_DIGEST, delivery, NOW)),
              recorder.triggers);
          assertEquals(List.of("github:accepted"), recorder.counts);
          ctx.completeNow();
        })));
  }

  @Test
  void signedRegistryPackageEventIsAccepted(Vertx vertx, VertxTestContext ctx) {
    start(vertx)
        .compose(v -> github("registry_package", UUID.randomUUID().toString(),
            Fixtures.bytes(Fixtures.githubRegistryPackage())))
        .onComplete(ctx.succeeding(response -> ctx.verify(() -> {
          assertStatus(response, 202, "status", "accepted");
          assertEquals("latest", recorder.triggers.get(0).tag());
          ctx.completeNow();
        })));
  }

  @Test
  void replayedGithubDeliveryIsADuplicateNoOp(Vertx vertx, VertxTestContext ctx) {
    String delivery = UUID.randomUUID().toString();
    byte[] body = Fixtures.bytes(Fixtures.githubPackage());
    start(vertx)
        .compose(v -> github("package", delivery, body))
        .compose(first -> github("package", delivery, body).map(second -> List.of(first, second)))
        .onComplete(ctx.succeeding(responses -> ctx.verify(() -> {
          assertStatus(responses.get(0), 202, "status", "accepted");
          assertStatus(responses.get(1), 200, "status", "duplicate");
          assertEquals(1, recorder.triggers.size());
          assertEquals(List.of("github:accepted", "github:duplicate"), recorder.counts);
          ctx.completeNow();
        })));
  }

  @Test
  void multiArchManifestEventIsIgnoredWithItsReason(Vertx vertx, VertxTestContext ctx) {
    start(vertx)
        .compose(v -> github("package", UUID.randomUUID().toString(),
            Fixtures.bytes(Fixtures.githubMultiArchManifest())))
        .onComplete(ctx.succeeding(response -> ctx.verify(() -> {
          assertStatus(response, 200, "status", "ignored");
          assertTrue(response.bodyAsJsonObject().getString("reason").contains("empty tag name"));
          assertTrue(recorder.triggers.isEmpty());
          assertEquals(List.of("github:ignored"), recorder.counts);
          ctx.completeNow();
        })));
  }

  @Test
  void triggerIgnoredByThePolicyAnswersIgnored(Vertx vertx, VertxTestContext ctx) {
    recorder.verdict = Verdict.IGNORED;
    start(vertx)
        .compose(v -> github("package", UUID.randomUUID().toString(), Fixtures.bytes(Fixtures.githubPackage())))
        .onComplete(ctx.succeeding(response -> ctx.verify(() -> {
          assertStatus(response, 200, "status", "ignored");
          assertTrue(response.bodyAsJsonObject().getString("reason").contains("the policy ignored tag"));
          assertEquals(1, recorder.triggers.size());
          assertEquals(List.of("github:ignored"), recorder.counts);
          ctx.completeNow();
        })));
  }

  @Test
  void badSignatureAnswers401WithTheDocumentedMessage(Vertx vertx, VertxTestContext ctx) {
    byte[] body = Fixtures.bytes(Fixtures.githubPackage());
    start(vertx)
        .compose(v -> client.post(port, "127.0.0.1", WebhookServer.GITHUB_PATH)
            .putHeader(GithubWebhook.EVENT_HEADER, "package")
            .putHeader(GithubWebhook.DELIVERY_HEADER, UUID.randomUUID().toString())
            .putHeader(GithubWebhook.SIGNATURE_HEADER, GithubWebhook.sign(Fixtures.utf8("wrong"), body))
            .sendBuffer(Buffer.buffer(body)))
        .onComplete(ctx.succeeding(response -> ctx.verify(() -> {
          assertStatus(response, 401, "error",
              "webhook rejected: X-Hub-Signature-256 does not match (check webhooks.github_secret_file)");
          assertTrue(recorder.triggers.isEmpty());
          assertEquals(List.of("github:rejected"), recorder.counts);
          ctx.completeNow();
        })));
  }

  @Test
  void unconfiguredSecretsRefuseEverythingNamingTheKey(Vertx vertx, VertxTestContext ctx) {
    start(vertx, settings(null, null), 1000)
        .compose(v -> github("package", UUID.randomUUID().toString(), Fixtures.bytes(Fixtures.githubPackage())))
        .compose(gh -> registry(Fixtures.bytes(Fixtures.registryEnvelope())).map(reg -> List.of(gh, reg)))
        .onComplete(ctx.succeeding(responses -> ctx.verify(() -> {
          assertEquals(401, responses.get(0).statusCode());
          assertTrue(responses.get(0).bodyAsJsonObject().getString("error").contains("webhooks.github_secret_file"));
          assertEquals(401, responses.get(1).statusCode());
          assertTrue(responses.get(1).bodyAsJsonObject().getString("error").contains("webhooks.registry_token_file"));
          assertTrue(recorder.triggers.isEmpty());
          assertEquals(List.of("github:rejected", "registry:rejected"), recorder.counts);
          ctx.completeNow();
        })));
  }

  @Test
  void malformedJsonAnswers400WithAMessage(Vertx vertx, VertxTestContext ctx) {
    start(vertx)
        .compose(v -> github("package", UUID.randomUUID().toString(), Fixtures.utf8("{\"action\":")))
        .onComplete(ctx.succeeding(response -> ctx.verify(() -> {
          assertEquals(400, response.statusCode());
          assertTrue(response.bodyAsJsonObject().getString("error").startsWith("webhook rejected: body is not valid JSON"),
              response.bodyAsString());
          assertEquals(List.of("github:rejected"), recorder.counts);
          ctx.completeNow();
        })));
  }

  @Test
  void bodyOverMaxBodyAnswers413(Vertx vertx, VertxTestContext ctx) {
    byte[] huge = Fixtures.utf8("{\"pad\":\"" + "x".repeat((int) MAX_BODY) + "\"}");
    start(vertx)
        .compose(v -> github("package", UUID.randomUUID().toString(), huge))
        .onComplete(ctx.succeeding(response -> ctx.verify(() -> {
          assertEquals(413, response.statusCode());
          assertTrue(response.bodyAsJsonObject().getString("error").contains("webhooks.max_body"));
          assertTrue(recorder.triggers.isEmpty());
          assertEquals(List.of("github:rejected"), recorder.counts);
          ctx.completeNow();
        })));
  }

  @Test
  void chunkedBodyOverMaxBodyAnswers413(Vertx vertx, VertxTestContext ctx) {
    HttpClient http = vertx.createHttpClient();
    Buffer chunk = Buffer.buffer("x".repeat(16 * 1024));
    start(vertx)
        .compose(v -> http.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
            .setURI(WebhookServer.REGISTRY_PATH).putHeader("Authorization", "Bearer " + Fixtures.TOKEN)))
        .compose(request -> {
          request.setChunked(true);
          Future<HttpClientResponse> response = request.response();
          for (int i = 0; i < 8; i++) {
            request.write(chunk);
          }
          request.end();
          return response;
        })
        .compose(response -> response.body().map(body -> new Object[] {response.statusCode(), body}))
        .onComplete(ctx.succeeding(result -> ctx.verify(() -> {
          assertEquals(413, result[0]);
          assertTrue(new JsonObject((Buffer) result[1]).getString("error").contains("webhooks.max_body"));
          assertEquals(List.of("registry:rejected"), recorder.counts);
          http.close();
          ctx.completeNow();
        })));
  }

  @Test
  void requestsOverTheRateLimitAnswer429PerSource(Vertx vertx, VertxTestContext ctx) {
    byte[] body = Fixtures.bytes(Fixtures.githubPackage());
    start(vertx, settings(Fixtures.SECRET, Fixtures.TOKEN), 2)
        .compose(v -> github("package", UUID.randomUUID().toString(), body))
        .compose(r1 -> github("package", UUID.randomUUID().toString(), body))
        .compose(r2 -> github("package", UUID.randomUUID().toString(), body))
        .compose(r3 -> registry(Fixtures.bytes(Fixtures.registryEnvelope())).map(reg -> List.of(r3, reg)))
        .onComplete(ctx.succeeding(responses -> ctx.verify(() -> {
          HttpResponse<Buffer> limited = responses.get(0);
          assertEquals(429, limited.statusCode());
          assertEquals("1", limited.getHeader("Retry-After"));
          assertTrue(limited.bodyAsJsonObject().getString("error").contains("rate limited"));
          assertStatus(responses.get(1), 202, "status", "accepted");
          assertEquals(List.of("github:accepted", "github:accepted", "github:rejected", "registry:accepted"),
              recorder.counts);
          assertEquals(3, recorder.triggers.size());
          ctx.completeNow();
        })));
  }

  @Test
  void unauthenticatedRequestsDoNotUseUpTheRateLimit(Vertx vertx, VertxTestContext ctx) {
    byte[] body = Fixtures.bytes(Fixtures.githubPackage());
    Future<HttpResponse<Buffer>> chain = start(vertx, settings(Fixtures.SECRET, Fixtures.TOKEN), 1).map(v -> null);
    for (int i = 0; i < 3; i++) {
      chain = chain.compose(x -> client.post(port, "127.0.0.1", WebhookServer.GITHUB_PATH)
          .putHeader(GithubWebhook.EVENT_HEADER, "package")
          .putHeader(GithubWebhook.DELIVERY_HEADER, UUID.randomUUID().toString())
          .putHeader(GithubWebhook.SIGNATURE_HEADER, GithubWebhook.sign(Fixtures.utf8("wrong"), body))
          .sendBuffer(Buffer.buffer(body)))
          .compose(x -> client.post(port, "127.0.0.1", WebhookServer.REGISTRY_PATH)
              .putHeader("Authorization", "Bearer wrong").sendBuffer(Buffer.buffer(Fixtures.bytes(Fixtures.registryEnvelope()))));
    }
    chain.compose(x -> github("package", UUID.randomUUID().toString(), body))
        .compose(signed -> registry(Fixtures.bytes(Fixtures.registryEnvelope())).map(reg -> List.of(signed, reg)))
        .onComplete(ctx.succeeding(responses -> ctx.verify(() -> {
          assertStatus(responses.get(0), 202, "status", "accepted");
          assertStatus(responses.get(1), 202, "status", "accepted");
          assertEquals(List.of("github:rejected", "registry:rejected", "github:rejected", "registry:rejected",
              "github:rejected", "registry:rejected", "github:accepted", "registry:accepted"), recorder.counts);
          ctx.completeNow();
        })));
  }

  @Test
  void registryPushIsAcceptedAndReplayIsADuplicate(Vertx vertx, VertxTestContext ctx) {
    byte[] body = Fixtures.bytes(Fixtures.registryEnvelope());
    start(vertx)
        .compose(v -> registry(body))
        .compose(first -> registry(body).map(second -> List.of(first, second)))
        .onComplete(ctx.succeeding(responses -> ctx.verify(() -> {
          assertStatus(responses.get(0), 202, "status", "accepted");
          assertStatus(responses.get(1), 200, "status", "duplicate");
          assertEquals(List.of(new Trigger(Source.REGISTRY, "latest", Fixtures.REGISTRY_DIGEST,
              Fixtures.REGISTRY_EVENT_ID, NOW)), recorder.triggers);
          assertEquals(List.of("registry:accepted", "registry:duplicate"), recorder.counts);
          ctx.completeNow();
        })));
  }

  @Test
  void distributionsV1MediaTypeIsAcceptedAsJson(Vertx vertx, VertxTestContext ctx) {
    start(vertx)
        .compose(v -> client.post(port, "127.0.0.1", WebhookServer.REGISTRY_PATH)
            .putHeader("Content-Type", "application/vnd.docker.distribution.events.v1+json; charset=utf-8")
            .putHeader("Authorization", "Bearer " + Fixtures.TOKEN)
            .sendBuffer(Buffer.buffer(Fixtures.bytes(Fixtures.registryEnvelope()))))
        .onComplete(ctx.succeeding(response -> ctx.verify(() -> {
          assertStatus(response, 202, "status", "accepted");
          assertEquals(1, recorder.triggers.size());
          ctx.completeNow();
        })));
  }

  @Test
  void formAndMultipartBodiesAre415BeforeAnythingIsRead(Vertx vertx, VertxTestContext ctx) {
    byte[] form = Fixtures.utf8("payload=" + Fixtures.githubPackage());
    String multipart = "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n\r\n{}\r\n--b--\r\n";
    start(vertx)
        .compose(v -> client.post(port, "127.0.0.1", WebhookServer.GITHUB_PATH)
            .putHeader("Content-Type", "application/x-www-form-urlencoded")
            .putHeader(GithubWebhook.EVENT_HEADER, "package")
            .putHeader(GithubWebhook.DELIVERY_HEADER, UUID.randomUUID().toString())
            .putHeader(GithubWebhook.SIGNATURE_HEADER, GithubWebhook.sign(Fixtures.SECRET, form))
            .sendBuffer(Buffer.buffer(form)))
        .compose(gh -> client.post(port, "127.0.0.1", WebhookServer.REGISTRY_PATH)
            .putHeader("Content-Type", "multipart/form-data; boundary=b")
            .putHeader("Authorization", "Bearer " + Fixtures.TOKEN)
            .sendBuffer(Buffer.buffer(multipart)).map(reg -> List.of(gh, reg)))
        .onComplete(ctx.succeeding(responses -> ctx.verify(() -> {
          assertEquals(415, responses.get(0).statusCode(), responses.get(0).bodyAsString());
          String github = responses.get(0).bodyAsJsonObject().getString("error");
          assertTrue(github.contains("application/x-www-form-urlencoded") && github.contains("content type to application/json"), github);
          assertEquals(415, responses.get(1).statusCode(), responses.get(1).bodyAsString());
          assertTrue(recorder.triggers.isEmpty());
          assertEquals(List.of("github:rejected", "registry:rejected"), recorder.counts);
          assertFalse(java.nio.file.Files.exists(java.nio.file.Path.of(
              io.vertx.ext.web.handler.BodyHandler.DEFAULT_UPLOADS_DIRECTORY)), "an upload directory was created");
          ctx.completeNow();
        })));
  }

  @Test
  void registryBlobOnlyEnvelopeIsIgnored(Vertx vertx, VertxTestContext ctx) {
    ObjectNode envelope = Fixtures.registryEnvelope();
    ((ArrayNode) envelope.get("events")).remove(2);
    start(vertx)
        .compose(v -> registry(Fixtures.bytes(envelope)))
        .onComplete(ctx.succeeding(response -> ctx.verify(() -> {
          assertStatus(response, 200, "status", "ignored");
          assertTrue(recorder.triggers.isEmpty());
          assertEquals(List.of("registry:ignored"), recorder.counts);
          ctx.completeNow();
        })));
  }

  @Test
  void wrongRegistryTokenAnswers401(Vertx vertx, VertxTestContext ctx) {
    start(vertx)
        .compose(v -> client.post(port, "127.0.0.1", WebhookServer.REGISTRY_PATH)
            .putHeader("Authorization", "Bearer " + Fixtures.TOKEN + "x")
            .sendBuffer(Buffer.buffer(Fixtures.bytes(Fixtures.registryEnvelope()))))
        .onComplete(ctx.succeeding(response -> ctx.verify(() -> {
          assertStatus(response, 401, "error",
              "webhook rejected: Authorization bearer token does not match (check webhooks.registry_token_file)");
          assertTrue(recorder.triggers.isEmpty());
          ctx.completeNow();
        })));
  }

  @Test
  void sinkFailureAnswers503AndTheRedeliveryIsTakenAgain(Vertx vertx, VertxTestContext ctx) {
    String delivery = UUID.randomUUID().toString();
    byte[] body = Fixtures.bytes(Fixtures.githubPackage());
    recorder.failure = new IllegalStateException("trigger queue is full");
    start(vertx)
        .compose(v -> github("package", delivery, body))
        .compose(first -> {
          recorder.failure = null;
          return github("package", delivery, body).map(second -> List.of(first, second));
        })
        .onComplete(ctx.succeeding(responses -> ctx.verify(() -> {
          assertEquals(503, responses.get(0).statusCode());
          assertTrue(responses.get(0).bodyAsJsonObject().getString("error").contains("trigger queue is full"));
          assertStatus(responses.get(1), 202, "status", "accepted");
          assertEquals(1, recorder.triggers.size());
          ctx.completeNow();
        })));
  }

  @Test
  void keepAliveConnectionSurvivesEarlyRejections(Vertx vertx, VertxTestContext ctx) {
    byte[] body = Fixtures.bytes(Fixtures.githubPackage());
    start(vertx)
        .compose(v -> unsigned(body))
        .compose(r -> unsigned(body))
        .compose(r -> unsigned(body))
        .compose(r -> github("package", UUID.randomUUID().toString(), body))
        .onComplete(ctx.succeeding(response -> ctx.verify(() -> {
          assertStatus(response, 202, "status", "accepted");
          assertEquals(List.of("github:rejected", "github:rejected", "github:rejected", "github:accepted"),
              recorder.counts);
          ctx.completeNow();
        })));
  }

  private Future<HttpResponse<Buffer>> unsigned(byte[] body) {
    HttpRequest<Buffer> request = client.post(port, "127.0.0.1", WebhookServer.GITHUB_PATH)
        .putHeader(GithubWebhook.EVENT_HEADER, "package")
        .putHeader(GithubWebhook.DELIVERY_HEADER, UUID.randomUUID().toString());
    return request.sendBuffer(Buffer.buffer(body));
  }

  @Test
  void unknownPathAnswers404AsJson(Vertx vertx, VertxTestContext ctx) {
    start(vertx)
        .compose(v -> client.post(port, "127.0.0.1", "/hooks/other").sendBuffer(Buffer.buffer("{}")))
        .onComplete(ctx.succeeding(response -> ctx.verify(() -> {
          assertEquals(404, response.statusCode());
          assertTrue(response.bodyAsJsonObject().getString("error").contains("/hooks/github"));
          assertTrue(recorder.counts.isEmpty());
          ctx.completeNow();
        })));
  }

  @Test
  void stopClosesTheListener(Vertx vertx, VertxTestContext ctx) {
    start(vertx)
        .compose(v -> server.stop())
        .compose(v -> registry(Fixtures.bytes(Fixtures.registryEnvelope())))
        .onComplete(ctx.failing(err -> ctx.verify(() -> {
          assertTrue(recorder.triggers.isEmpty());
          server = null;
          ctx.completeNow();
        })));
  }

  @Test
  void startingTwiceFails(Vertx vertx, VertxTestContext ctx) {
    start(vertx)
        .compose(v -> server.start(vertx))
        .onComplete(ctx.failing(err -> ctx.verify(() -> {
          assertTrue(err.getMessage().contains("already started"));
          ctx.completeNow();
        })));
  }

  @Test
  void settingsMaskSecretsAndNameBadKeys() {
    WebhookServer.Settings s = settings(Fixtures.SECRET, Fixtures.TOKEN);
    assertTrue(s.toString().contains("githubSecret=***"));
    assertFalse(s.toString().contains(Fixtures.TOKEN));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> settings(new byte[0], null));
    assertTrue(e.getMessage().contains("webhooks.github_secret_file"));
    e = assertThrows(IllegalArgumentException.class,
        () -> new WebhookServer.Settings("127.0.0.1", 0, 0, null, null, Fixtures.IMAGE, 50));
    assertTrue(e.getMessage().contains("webhooks.max_body"));
  }
}
