package dev.odooagent.bench;

import dev.odooagent.event.EventOutcome;
import dev.odooagent.event.GithubWebhook;
import dev.odooagent.event.RegistryNotification;
import dev.odooagent.mqtt.Command;
import dev.odooagent.mqtt.CommandRefusedException;
import dev.odooagent.mqtt.CommandVerifier;
import dev.odooagent.mqtt.ReplayCache;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The work every incoming event costs before the engine sees it: the GitHub signature check, the GitHub and registry
 * payload parsers (on the realistic payloads of the agent's tests: 7.9 KB and 3.1 KB), and the signed MQTT command
 * verifier. Throughput per second on one thread.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ParserBenchmark {
  private static final byte[] SECRET = "bench-secret-0123456789abcdef".getBytes(StandardCharsets.UTF_8);
  private static final Instant NOW = Instant.parse("2025-06-02T08:05:30Z");

  private byte[] githubBody;
  private String githubSignature;
  private String badSignature;
  private GithubWebhook github;
  private byte[] registryBody;
  private RegistryNotification registry;
  private byte[] command;
  private CommandVerifier verifier;
  private ReplayCache seen;
  private Path seenFile;

  /** Loads the payloads and signs them. */
  @Setup
  public void setUp() throws IOException {
    githubBody = resource("github/package-published-container.json");
    githubSignature = GithubWebhook.sign(SECRET, githubBody);
    badSignature = "sha256=" + "0".repeat(64);
    github = new GithubWebhook("ghcr.io/jgtolentino/odoo-ce");
    registryBody = resource("registry/push-envelope.json");
    registry = new RegistryNotification("127.0.0.1:5000/jgtolentino/odoo-ce");
    JsonObject cmd = new JsonObject().put("id", "bench-0f3a9c").put("action", "deploy").put("tag", "sha-057bb3a")
        .put("ts", NOW.getEpochSecond());
    cmd.put("sig", CommandVerifier.sign(cmd, SECRET));
    command = cmd.encode().getBytes(StandardCharsets.UTF_8);
    seenFile = Files.createTempFile("bench-replay", ".cache");
    seen = ReplayCache.open(seenFile, Duration.ofMinutes(10), Clock.fixed(NOW, ZoneOffset.UTC));
    verifier = new CommandVerifier(SECRET, seen, Clock.fixed(NOW, ZoneOffset.UTC));
    // fail at setup, not in the middle of a measurement, if a payload stopped being valid
    if (!GithubWebhook.signatureMatches(SECRET, githubBody, githubSignature)
        || !(github.parse("package", githubBody) instanceof EventOutcome.Candidate)
        || registry.parse(registryBody).isEmpty()) {
      throw new IllegalStateException("a benchmark payload is not accepted by the agent");
    }
    try {
      verifier.verify(command);
    } catch (CommandRefusedException e) {
      throw new IllegalStateException("the benchmark command is refused: " + e.getMessage(), e);
    }
  }

  /** Removes the replay cache file. */
  @TearDown
  public void tearDown() throws IOException {
    seen.close();
    Files.deleteIfExists(seenFile);
  }

  private static byte[] resource(String name) {
    try (InputStream in = ParserBenchmark.class.getResourceAsStream("/" + name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** HMAC-SHA256 of the 7.9 KB body and the constant-time comparison, as for every /hooks/github request. */
  @Benchmark
  public boolean githubSignatureValid() {
    return GithubWebhook.signatureMatches(SECRET, githubBody, githubSignature);
  }

  /** The same check failing, as for each request of a bad-signature flood. */
  @Benchmark
  public boolean githubSignatureBad() {
    return GithubWebhook.signatureMatches(SECRET, githubBody, badSignature);
  }

  /** Parses and classifies a GitHub package event. */
  @Benchmark
  public EventOutcome githubParse() {
    return github.parse("package", githubBody);
  }

  /** Parses and classifies a registry notification envelope (3 events). */
  @Benchmark
  public List<RegistryNotification.Event> registryParse() {
    return registry.parse(registryBody);
  }

  /** Verifies a signed MQTT command: JSON, field syntax, canonical-form HMAC, replay lookup, clock skew. */
  @Benchmark
  public Command mqttCommandVerify() throws CommandRefusedException {
    return verifier.verify(command);
  }
}
