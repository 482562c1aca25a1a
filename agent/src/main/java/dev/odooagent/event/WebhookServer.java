package dev.odooagent.event;

import dev.odooagent.http.JsonOnly;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.SecurityPolicyHandler;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The webhook listener: {@code POST /hooks/github} and {@code POST /hooks/registry}, each turned into triggers. */
public final class WebhookServer {

  /** The path GitHub package webhooks are sent to. */
  public static final String GITHUB_PATH = "/hooks/github";
  /** The path registry notifications are sent to. */
  public static final String REGISTRY_PATH = "/hooks/registry";

  static final String SIGNATURE_MISMATCH =
      "webhook rejected: X-Hub-Signature-256 does not match (check webhooks.github_secret_file)";
  static final String SIGNATURE_MISSING =
      "webhook rejected: X-Hub-Signature-256 is missing (set the webhook secret on GitHub to the content of"
          + " webhooks.github_secret_file)";
  static final String GITHUB_NOT_CONFIGURED =
      "webhook rejected: webhooks.github_secret_file is not configured, so GitHub deliveries cannot be verified"
          + " (set webhooks.github_secret_file to enable /hooks/github)";
  static final String TOKEN_MISMATCH =
      "webhook rejected: Authorization bearer token does not match (check webhooks.registry_token_file)";
  static final String TOKEN_MISSING =
      "webhook rejected: Authorization: Bearer <token> header is missing (add it to the registry's notification"
          + " endpoint headers; the token is in webhooks.registry_token_file)";
  static final String REGISTRY_NOT_CONFIGURED =
      "webhook rejected: webhooks.registry_token_file is not configured, so registry notifications cannot be"
          + " authenticated (set webhooks.registry_token_file to enable /hooks/registry)";

  private static final Logger LOG = LoggerFactory.getLogger(WebhookServer.class);
  private static final String JSON = "application/json";
  private static final String BEARER = "bearer ";
  private static final long WARN_EVERY_NANOS = 1_000_000_000L;

  private final Settings settings;
  private final TriggerSink sink;
  private final EventCounter counter;
  private final Clock clock;
  private final GithubWebhook github;
  private final RegistryNotification registry;
  private final RateLimiter githubLimiter;
  private final RateLimiter registryLimiter;
  private final Map<Source, long[]> warned = new EnumMap<>(Source.class);
  private final Deduper githubSeen;
  private final Deduper registrySeen;
  private final byte[] githubSecret;
  private final byte[] registryTokenHash;
  private HttpServer server;

  /**
   * What the webhook listener needs from the config.
   *
   * @param host address to bind ({@code webhooks.listen})
   * @param port port to bind, 0 for any free port ({@code webhooks.listen})
   * @param maxBody largest accepted body in bytes ({@code webhooks.max_body})
   * @param githubSecret the GitHub webhook secret, or null when {@code webhooks.github_secret_file} is unset
   * @param registryToken the registry hook bearer token, or null when {@code webhooks.registry_token_file} is unset
   * @param serviceImage the only image deployed ({@code service.image})
   * @param rateLimitPerSecond requests per second allowed on each hook
   */
  public record Settings(String host, int port, long maxBody, byte[] githubSecret, String registryToken,
      String serviceImage, int rateLimitPerSecond) {

    /** The default of {@code webhooks.max_body}: 1 MiB. */
    public static final long DEFAULT_MAX_BODY = 1024 * 1024;
    /** The default number of requests per second allowed on each hook. */
    public static final int DEFAULT_RATE_LIMIT_PER_SECOND = 50;

    /** Validates the settings, naming the config key of any bad value, and copies the secret. */
    public Settings {
      Objects.requireNonNull(host, "host");
      Objects.requireNonNull(serviceImage, "serviceImage");
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("webhooks.listen port " + port + " is out of range (use 1-65535)");
      }
      if (maxBody < 1) {
        throw new IllegalArgumentException("webhooks.max_body " + maxBody + " must be at least 1 byte");
      }
      if (rateLimitPerSecond < 1) {
        throw new IllegalArgumentException("webhook rate limit " + rateLimitPerSecond + " must be at least 1 per second");
      }
      if (githubSecret != null && githubSecret.length == 0) {
        throw new IllegalArgumentException("webhooks.github_secret_file is empty (put the GitHub webhook secret in it)");
      }
      if (registryToken != null && registryToken.isBlank()) {
        throw new IllegalArgumentException("webhooks.registry_token_file is empty (put the registry hook token in it)");
      }
      if (Validation.normalizeImage(serviceImage) == null) {
        throw new IllegalArgumentException("service.image " + Validation.quote(serviceImage)
            + " is not a valid image reference (expected e.g. ghcr.io/owner/name)");
      }
      githubSecret = githubSecret == null ? null : githubSecret.clone();
    }

    /** A copy of the GitHub secret, or null when not configured. */
    @Override
    public byte[] githubSecret() {
      return githubSecret == null ? null : githubSecret.clone();
    }

    /** Compares all fields, the secret by content. */
    @Override
    public boolean equals(Object o) {
      return o instanceof Settings s && host.equals(s.host) && port == s.port && maxBody == s.maxBody
          && Arrays.equals(githubSecret, s.githubSecret) && Objects.equals(registryToken, s.registryToken)
          && serviceImage.equals(s.serviceImage) && rateLimitPerSecond == s.rateLimitPerSecond;
    }

    /** Hashes all fields, the secret by content. */
    @Override
    public int hashCode() {
      return Objects.hash(host, port, maxBody, Arrays.hashCode(githubSecret), registryToken, serviceImage,
          rateLimitPerSecond);
    }

    /** Describes the settings with the secrets masked. */
    @Override
    public String toString() {
      return "Settings[host=" + host + ", port=" + port + ", maxBody=" + maxBody
          + ", githubSecret=" + (githubSecret == null ? "unset" : "***")
          + ", registryToken=" + (registryToken == null ? "unset" : "***")
          + ", serviceImage=" + serviceImage + ", rateLimitPerSecond=" + rateLimitPerSecond + "]";
    }
  }

  /** Creates the listener; GitHub events are matched against {@code service.image}. */
  public WebhookServer(Settings settings, TriggerSink sink, EventCounter counter) {
    this(settings, settings.serviceImage(), sink, counter);
  }

  /**
   * Creates the listener; nothing is bound until {@link #start(Vertx)}. GitHub events are matched against
   * {@code githubImage} ({@code webhooks.github_image}), for hosts that pull the GHCR image through another registry.
   */
  public WebhookServer(Settings settings, String githubImage, TriggerSink sink, EventCounter counter) {
    this(settings, githubImage, sink, counter, limiterConfig(settings.rateLimitPerSecond(), Duration.ofSeconds(1)),
        Clock.systemUTC(), new Deduper(), new Deduper());
  }

  /** As above, keeping the delivery and event ids seen in {@code stateDir}, so that a replay after a restart is dropped. */
  public WebhookServer(Settings settings, String githubImage, TriggerSink sink, EventCounter counter, Path stateDir) {
    this(settings, githubImage, sink, counter, limiterConfig(settings.rateLimitPerSecond(), Duration.ofSeconds(1)),
        Clock.systemUTC(), Deduper.persistent(stateDir.resolve("github-deliveries"), Deduper.DEFAULT_CAPACITY),
        Deduper.persistent(stateDir.resolve("registry-events"), Deduper.DEFAULT_CAPACITY));
  }

  WebhookServer(Settings settings, TriggerSink sink, EventCounter counter, RateLimiterConfig limits, Clock clock) {
    this(settings, settings.serviceImage(), sink, counter, limits, clock);
  }

  WebhookServer(Settings settings, String githubImage, TriggerSink sink, EventCounter counter, RateLimiterConfig limits,
      Clock clock) {
    this(settings, githubImage, sink, counter, limits, clock, new Deduper(), new Deduper());
  }

  private WebhookServer(Settings settings, String githubImage, TriggerSink sink, EventCounter counter, RateLimiterConfig limits,
      Clock clock, Deduper githubSeen, Deduper registrySeen) {
    this.githubSeen = githubSeen;
    this.registrySeen = registrySeen;
    this.settings = Objects.requireNonNull(settings, "settings");
    this.sink = Objects.requireNonNull(sink, "sink");
    this.counter = Objects.requireNonNull(counter, "counter");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.github = new GithubWebhook(githubImage);
    this.registry = new RegistryNotification(settings.serviceImage());
    this.githubLimiter = RateLimiter.of("webhook-github", limits);
    this.registryLimiter = RateLimiter.of("webhook-registry", limits);
    this.githubSecret = settings.githubSecret();
    this.registryTokenHash = settings.registryToken() == null ? null : sha256(settings.registryToken());
  }

  /** Rate limiter settings that never wait: a request over the limit is refused at once. */
  static RateLimiterConfig limiterConfig(int permits, Duration period) {
    return RateLimiterConfig.custom()
        .limitForPeriod(permits)
        .limitRefreshPeriod(period)
        .timeoutDuration(Duration.ZERO)
        .build();
  }

  /** Binds the listener and completes with the bound port once it accepts connections. */
  public synchronized Future<Integer> start(Vertx vertx) {
    if (server != null) {
      return Future.failedFuture(new IllegalStateException("the webhook listener is already started"));
    }
    HttpServer created = vertx.createHttpServer(new HttpServerOptions()
        .setHost(settings.host())
        .setPort(settings.port())
        .setIdleTimeout(60));
    server = created;
    return created.requestHandler(router(vertx)).listen()
        .map(HttpServer::actualPort)
        .recover(err -> {
          synchronized (this) {
            server = null;
          }
          return Future.failedFuture(new IllegalStateException("webhooks.listen " + settings.host() + ":"
              + settings.port() + " could not be bound: " + err.getMessage()
              + " (choose a free address and port in webhooks.listen)", err));
        });
  }

  /** Closes the listener; completes at once when it is not started. */
  public synchronized Future<Void> stop() {
    HttpServer running = server;
    server = null;
    return running == null ? Future.succeededFuture() : running.close();
  }

  private Router router(Vertx vertx) {
    Router router = Router.router(vertx);
    BodyHandler body = BodyHandler.create(false)
        .setBodyLimit(settings.maxBody())
        .setMergeFormAttributes(false);
    // The rate limit counts authenticated requests only (GitHub's signature needs the body, so it is checked in
    // github()): a flood of unauthenticated requests must not use up the permits of the real sender.
    router.post(GITHUB_PATH)
        .handler((SecurityPolicyHandler) ctx -> jsonOnly(ctx, Source.GITHUB))
        .handler((SecurityPolicyHandler) this::githubPreflight)
        .handler(body)
        .handler(this::github)
        .failureHandler(ctx -> failure(ctx, Source.GITHUB));
    router.post(REGISTRY_PATH)
        .handler((SecurityPolicyHandler) ctx -> jsonOnly(ctx, Source.REGISTRY))
        .handler((SecurityPolicyHandler) this::registryPreflight)
        .handler(body)
        .handler(this::registry)
        .failureHandler(ctx -> failure(ctx, Source.REGISTRY));
    router.errorHandler(404, ctx -> plainError(ctx, 404, "no webhook at " + Validation.quote(ctx.request().path())
        + " (use POST " + GITHUB_PATH + " or POST " + REGISTRY_PATH + ")"));
    router.errorHandler(405, ctx -> plainError(ctx, 405, "webhooks accept POST only (use POST "
        + GITHUB_PATH + " or POST " + REGISTRY_PATH + ")"));
    return router;
  }

  /** Takes a permit, or answers 429 and says false. */
  private boolean withinLimit(RoutingContext ctx, Source source, RateLimiter limiter) {
    if (limiter.acquirePermission()) {
      return true;
    }
    ctx.response().putHeader("Retry-After", "1");
    reject(ctx, source, 429, "webhook rejected: more than " + settings.rateLimitPerSecond()
        + " requests per second on " + ctx.request().path() + " (rate limited; retry later)");
    return false;
  }

  /** Refuses a body that is not JSON before it is read (GitHub: set the hook's content type to application/json). */
  private void jsonOnly(RoutingContext ctx, Source source) {
    String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
    if (JsonOnly.accepts(type)) {
      ctx.next();
    } else {
      reject(ctx, source, 415, "webhook rejected: " + JsonOnly.refusal(type)
          + (source == Source.GITHUB ? " (on GitHub, set the webhook's content type to application/json)" : ""));
    }
  }

  private void githubPreflight(RoutingContext ctx) {
    if (githubSecret == null) {
      reject(ctx, Source.GITHUB, 401, GITHUB_NOT_CONFIGURED);
    } else if (ctx.request().getHeader(GithubWebhook.SIGNATURE_HEADER) == null) {
      reject(ctx, Source.GITHUB, 401, SIGNATURE_MISSING);
    } else {
      ctx.next();
    }
  }

  private void registryPreflight(RoutingContext ctx) {
    if (registryTokenHash == null) {
      reject(ctx, Source.REGISTRY, 401, REGISTRY_NOT_CONFIGURED);
      return;
    }
    String authorization = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
    if (authorization == null) {
      reject(ctx, Source.REGISTRY, 401, TOKEN_MISSING);
    } else if (!tokenMatches(authorization)) {
      reject(ctx, Source.REGISTRY, 401, TOKEN_MISMATCH);
    } else if (withinLimit(ctx, Source.REGISTRY, registryLimiter)) {
      ctx.next();
    }
  }

  private boolean tokenMatches(String authorization) {
    if (authorization.length() <= BEARER.length()
        || !authorization.substring(0, BEARER.length()).toLowerCase(Locale.ROOT).equals(BEARER)) {
      return false;
    }
    // Comparing fixed-length hashes keeps the comparison constant-time in the token's length too.
    return MessageDigest.isEqual(registryTokenHash, sha256(authorization.substring(BEARER.length()).trim()));
  }

  private void github(RoutingContext ctx) {
    byte[] raw = rawBody(ctx);
    if (!GithubWebhook.signatureMatches(githubSecret, raw, ctx.request().getHeader(GithubWebhook.SIGNATURE_HEADER))) {
      reject(ctx, Source.GITHUB, 401, SIGNATURE_MISMATCH);
      return;
    }
    if (!withinLimit(ctx, Source.GITHUB, githubLimiter)) {
      return;
    }
    String delivery = ctx.request().getHeader(GithubWebhook.DELIVERY_HEADER);
    EventOutcome outcome;
    try {
      Validation.requireDeliveryId(GithubWebhook.DELIVERY_HEADER + " header", delivery);
      outcome = github.parse(ctx.request().getHeader(GithubWebhook.EVENT_HEADER), raw);
    } catch (InvalidEventException e) {
      reject(ctx, Source.GITHUB, 400, "webhook rejected: " + e.getMessage());
      return;
    } catch (RuntimeException e) {
      reject(ctx, Source.GITHUB, 400, unreadable("a GitHub event", e));
      return;
    }
    if (!githubSeen.firstTime(delivery)) {
      duplicate(ctx, Source.GITHUB, delivery);
    } else if (outcome instanceof EventOutcome.Ignored ignored) {
      ignored(ctx, Source.GITHUB, ignored.reason());
    } else {
      EventOutcome.Candidate candidate = (EventOutcome.Candidate) outcome;
      Verdict verdict = offer(ctx, Source.GITHUB, githubSeen, delivery, candidate);
      if (verdict == Verdict.ACCEPTED) {
        accepted(ctx, Source.GITHUB, candidate, delivery);
      } else if (verdict == Verdict.IGNORED) {
        ignored(ctx, Source.GITHUB, policyIgnored(candidate));
      }
    }
  }

  private void registry(RoutingContext ctx) {
    List<RegistryNotification.Event> events;
    try {
      events = registry.parse(rawBody(ctx));
    } catch (InvalidEventException e) {
      reject(ctx, Source.REGISTRY, 400, "webhook rejected: " + e.getMessage());
      return;
    } catch (RuntimeException e) {
      reject(ctx, Source.REGISTRY, 400, unreadable("a registry notification envelope", e));
      return;
    }
    EventOutcome.Candidate accepted = null;
    String acceptedId = null;
    String ignoredReason = null;
    String policyReason = null;
    int candidates = 0;
    int duplicates = 0;
    for (RegistryNotification.Event event : events) {
      if (event.outcome() instanceof EventOutcome.Ignored ignored) {
        ignoredReason = ignoredReason == null ? ignored.reason() : ignoredReason;
        continue;
      }
      EventOutcome.Candidate candidate = (EventOutcome.Candidate) event.outcome();
      candidates++;
      if (!registrySeen.firstTime(event.id())) {
        duplicates++;
        continue;
      }
      Verdict verdict = offer(ctx, Source.REGISTRY, registrySeen, event.id(), candidate);
      if (verdict == null) {
        return;
      }
      if (verdict == Verdict.ACCEPTED) {
        accepted = candidate;
        acceptedId = event.id();
      } else {
        policyReason = policyIgnored(candidate);
      }
    }
    if (accepted != null) {
      accepted(ctx, Source.REGISTRY, accepted, acceptedId);
    } else if (policyReason != null) {
      ignored(ctx, Source.REGISTRY, policyReason);
    } else if (candidates > 0 && duplicates == candidates) {
      duplicate(ctx, Source.REGISTRY, "envelope");
    } else {
      ignored(ctx, Source.REGISTRY, ignoredReason == null ? "the envelope has no events" : ignoredReason);
    }
  }

  private Verdict offer(RoutingContext ctx, Source source, Deduper seen, String id, EventOutcome.Candidate candidate) {
    try {
      Trigger trigger = new Trigger(source, candidate.tag(), candidate.digest(), id, Instant.now(clock));
      return Objects.requireNonNull(sink.offer(trigger), "the trigger sink returned no verdict");
    } catch (RuntimeException e) {
      seen.forget(id);
      LOG.error("{} webhook {}: the trigger for tag {} could not be queued", source.label(), id, candidate.tag(), e);
      reply(ctx, source, 503, EventCounter.REJECTED, new JsonObject().put("error",
          "webhook not taken: the agent could not queue the event (" + e.getMessage() + "); redeliver it later"));
      return null;
    }
  }

  private void failure(RoutingContext ctx, Source source) {
    if (ctx.response().ended()) {
      return;
    }
    int status = ctx.statusCode();
    if (status == 413) {
      reject(ctx, source, 413, "webhook rejected: body is larger than webhooks.max_body (" + settings.maxBody()
          + " bytes); raise webhooks.max_body if such events are expected");
    } else if (status >= 400 && status < 500) {
      reject(ctx, source, status, "webhook rejected: the request could not be read (HTTP " + status + ")");
    } else {
      LOG.error("{} webhook failed", source.label(), ctx.failure());
      reply(ctx, source, 500, EventCounter.REJECTED,
          new JsonObject().put("error", "webhook failed: internal error in the agent; redeliver it later"));
    }
  }

  private void reject(RoutingContext ctx, Source source, int status, String message) {
    long suppressed = status == 429 ? -1 : warnable(source);
    if (suppressed < 0) {
      LOG.debug("{} webhook from {}: {}", source.label(), ctx.request().remoteAddress(), message);
    } else {
      LOG.warn("{} webhook from {}: {}{}", source.label(), ctx.request().remoteAddress(), message,
          suppressed == 0 ? "" : " (and " + suppressed + " more rejections since the last warning, logged at debug level)");
    }
    reply(ctx, source, status, EventCounter.REJECTED, new JsonObject().put("error", message));
  }

  /**
   * At most one rejection warning per source and second, so that a flood of bad requests cannot flood the log:
   * the number of rejections held back since the last warning, or -1 to log this one at debug level.
   */
  private synchronized long warnable(Source source) {
    long now = System.nanoTime();
    long[] w = warned.computeIfAbsent(source, s -> new long[] {now - WARN_EVERY_NANOS, 0});
    if (now - w[0] >= WARN_EVERY_NANOS) {
      long held = w[1];
      w[0] = now;
      w[1] = 0;
      return held;
    }
    w[1]++;
    return -1;
  }

  private void duplicate(RoutingContext ctx, Source source, String id) {
    LOG.debug("{} webhook {}: already seen, nothing done", source.label(), id);
    reply(ctx, source, 200, EventCounter.DUPLICATE, new JsonObject().put("status", "duplicate"));
  }

  private void ignored(RoutingContext ctx, Source source, String reason) {
    LOG.debug("{} webhook ignored: {}", source.label(), reason);
    reply(ctx, source, 200, EventCounter.IGNORED, new JsonObject().put("status", "ignored").put("reason", reason));
  }

  private void accepted(RoutingContext ctx, Source source, EventOutcome.Candidate candidate, String id) {
    LOG.info("{} webhook {}: tag {} digest {} accepted", source.label(), id, candidate.tag(), candidate.digest());
    reply(ctx, source, 202, EventCounter.ACCEPTED, new JsonObject().put("status", "accepted"));
  }

  private void reply(RoutingContext ctx, Source source, int status, String result, JsonObject body) {
    counter.count(source, result);
    ctx.response()
        .setStatusCode(status)
        .putHeader(HttpHeaders.CONTENT_TYPE, JSON)
        .end(body.encode());
  }

  private static void plainError(RoutingContext ctx, int status, String message) {
    ctx.response()
        .setStatusCode(status)
        .putHeader(HttpHeaders.CONTENT_TYPE, JSON)
        .end(new JsonObject().put("error", message).encode());
  }

  private static String unreadable(String what, RuntimeException e) {
    LOG.debug("webhook body could not be parsed", e);
    return "webhook rejected: the body could not be read as " + what + " (" + e.getClass().getSimpleName() + ")";
  }

  private static String policyIgnored(EventOutcome.Candidate candidate) {
    return "the policy ignored tag " + Validation.quote(candidate.tag()) + " (not the channel, not an accepted tag,"
        + " or a pin holds)";
  }

  private static byte[] rawBody(RoutingContext ctx) {
    Buffer buffer = ctx.body().buffer();
    return buffer == null ? new byte[0] : buffer.getBytes();
  }

  private static byte[] sha256(String value) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available in this JVM", e);
    }
  }
}
