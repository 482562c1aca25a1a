package dev.odooagent.it;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The one webhook sender of the integration tests: GitHub deliveries signed as GitHub signs them (HMAC-SHA256, computed
 * with the JDK, not with the product's code), Docker Distribution notification envelopes, and the POST to the agent.
 */
final class Webhooks {
  /** The GHCR name GitHub package events carry for the test bed image ({@code webhooks.github_image}). */
  static final String GHCR_IMAGE = "ghcr.io/jgtolentino/odoo-ce";
  static final String REPOSITORY = "jgtolentino/odoo-ce";
  static final String MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json";
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private Webhooks() {}

  /** An HTTP answer. */
  record Reply(int status, String body) {
    JsonObject json() {
      return new JsonObject(body);
    }
  }

  /** POSTs raw bytes with the given headers to the agent's webhook listener. */
  static Reply post(int port, String path, Map<String, String> headers, byte[] body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(20))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    headers.forEach(b::header);
    try {
      HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
      return new Reply(r.statusCode(), r.body());
    } catch (IOException e) {
      throw new IllegalStateException("POST " + path + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static Reply get(int port, String path) {
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString());
      return new Reply(r.statusCode(), r.body());
    } catch (IOException e) {
      throw new IllegalStateException("GET " + path + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Hex HMAC-SHA256, computed here with the JDK rather than with the product's code. */
  static String hmacHex(byte[] key, byte[] data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(data));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The {@code X-Hub-Signature-256} GitHub sends for this body. */
  static String githubSignature(String secret, byte[] body) {
    return "sha256=" + hmacHex(secret.getBytes(StandardCharsets.UTF_8), body);
  }

  /** Headers of a GitHub delivery. */
  static Map<String, String> githubHeaders(String event, String delivery, String signature) {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Content-Type", "application/json");
    h.put("User-Agent", "GitHub-Hookshot/it");
    if (event != null) {
      h.put("X-GitHub-Event", event);
    }
    if (delivery != null) {
      h.put("X-GitHub-Delivery", delivery);
    }
    if (signature != null) {
      h.put("X-Hub-Signature-256", signature);
    }
    return h;
  }

  /** A GitHub {@code package} event payload for a container version, shaped as GitHub sends it. */
  static JsonObject packageEvent(String action, String owner, String name, String packageType, String tag, String digest) {
    JsonObject tagObj = new JsonObject().put("name", tag).put("digest", digest);
    return new JsonObject()
        .put("action", action)
        .put("package", new JsonObject()
            .put("id", 4242).put("name", name).put("namespace", owner).put("description", "")
            .put("ecosystem", packageType).put("package_type", packageType)
            .put("html_url", "https://github.com/" + owner + "/" + name + "/pkgs/container/" + name)
            .put("owner", new JsonObject().put("login", owner).put("id", 1).put("type", "User"))
            .put("package_version", new JsonObject()
                .put("id", 777).put("version", digest).put("name", digest)
                .put("container_metadata", new JsonObject().put("tag", tagObj)
                    .put("manifest", new JsonObject().put("digest", digest).put("media_type", MANIFEST_V2)))
                .put("package_url", "ghcr.io/" + owner + "/" + name + ":" + tag))
            .put("registry", new JsonObject().put("name", "GitHub CR").put("type", "docker")
                .put("url", "https://ghcr.io/" + owner).put("vendor", "GitHub Inc")))
        .put("repository", new JsonObject().put("full_name", owner + "/" + name))
        .put("sender", new JsonObject().put("login", owner));
  }

  /** One Docker Distribution notification event. */
  static JsonObject registryEvent(String id, String action, String mediaType, String repository, String tag, String digest) {
    JsonObject target = new JsonObject().put("mediaType", mediaType).put("size", 1234).put("digest", digest)
        .put("length", 1234).put("repository", repository)
        .put("url", TestBed.env("REGISTRY_URL") + "/v2/" + repository + "/manifests/" + digest);
    if (tag != null) {
      target.put("tag", tag);
    }
    return new JsonObject().put("id", id).put("timestamp", "2026-01-01T00:00:00Z").put("action", action)
        .put("target", target)
        .put("request", new JsonObject().put("id", UUID.randomUUID().toString()).put("addr", "127.0.0.1:1")
            .put("host", TestBed.env("REGISTRY")).put("method", "PUT").put("useragent", "docker/it"))
        .put("actor", new JsonObject().put("name", TestBed.env("REGISTRY_USER")))
        .put("source", new JsonObject().put("addr", "it:5000").put("instanceID", "it"));
  }

  static byte[] envelope(JsonObject... events) {
    return new JsonObject().put("events", new JsonArray(List.of((Object[]) events))).encode().getBytes(StandardCharsets.UTF_8);
  }

  static Map<String, String> registryHeaders(String authorization) {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Content-Type", "application/vnd.docker.distribution.events.v2+json");
    if (authorization != null) {
      h.put("Authorization", authorization);
    }
    return h;
  }
}
