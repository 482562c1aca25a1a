package dev.odooagent.it;

import static org.junit.jupiter.api.Assertions.fail;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The operator's side of every MQTT test: the real {@code mosquitto_pub} / {@code mosquitto_sub} as the test bed's
 * operator user on {@code MQTT_URL}. Host, port, user and password are in per-client option files under a private
 * {@code XDG_CONFIG_HOME}, so the password never shows in argv.
 */
public final class MqttOperator implements AutoCloseable {
  final Path xdg;
  private final List<Sub> subs = new ArrayList<>();

  /** An operator client of the test bed's plain listener ({@code MQTT_URL}). */
  public MqttOperator() throws IOException {
    xdg = Files.createTempDirectory("it-mqtt-operator", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    URI url = URI.create(TestBed.env("MQTT_URL"));
    String options = "-h " + url.getHost() + "\n-p " + url.getPort() + "\n-u " + TestBed.env("MQTT_OPERATOR_USER") + "\n-P "
        + TestBed.secret("MQTT_OPERATOR_PASSWORD_FILE") + "\n";
    for (String client : List.of("mosquitto_pub", "mosquitto_sub")) {
      Path f = xdg.resolve(client);
      Files.writeString(f, options);
      Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
    }
  }

  private Map<String, String> env() {
    return Map.of("XDG_CONFIG_HOME", xdg.toString());
  }

  /** Publishes at QoS 1 (mosquitto_pub returns after the broker's PUBACK); {@code extra} are more mosquitto_pub options. */
  public void publish(String topic, byte[] payload, boolean retain, String... extra) throws IOException {
    Path f = Files.createTempFile(xdg, "msg", ".bin");
    Files.write(f, payload);
    List<String> cmd = new ArrayList<>(List.of("mosquitto_pub", "-q", "1", "-t", topic, "-f", f.toString()));
    if (retain) {
      cmd.add("-r");
    }
    cmd.addAll(List.of(extra));
    run(cmd);
    Files.deleteIfExists(f);
  }

  /** Publishes a text payload at QoS 1. */
  public void publish(String topic, String payload) throws IOException {
    publish(topic, payload.getBytes(StandardCharsets.UTF_8), false);
  }

  /** Clears a retained message (an empty retained publish). */
  public void clearRetained(String topic) {
    run(List.of("mosquitto_pub", "-q", "1", "-r", "-n", "-t", topic));
  }

  /** Connects once with {@code clientId} and a clean session, which discards that client's persistent session. */
  public void dropSession(String clientId, String topic) {
    run(List.of("mosquitto_pub", "-q", "1", "-i", clientId, "-n", "-t", topic));
  }

  private void run(List<String> cmd) {
    TestBed.Result r = TestBed.exec(cmd, env(), Duration.ofSeconds(30));
    if (r.code() != 0) {
      fail(String.join(" ", cmd) + " exited " + r.code() + ": " + r.err() + r.out());
    }
  }

  /** The message retained on {@code topic} now, as a new subscriber gets it, or null when there is none. */
  public Message retained(String topic) {
    TestBed.Result r = TestBed.exec(List.of("mosquitto_sub", "-q", "1", "-t", topic, "--retained-only", "-C", "1", "-W", "3",
        "-F", "MSG %r %t %p"), env(), Duration.ofSeconds(30));
    List<Message> m = Message.parse(r.out());
    return m.isEmpty() ? null : m.get(0);
  }

  /** Waits until the message retained on {@code topic} matches {@code p}, and returns it. */
  public Message awaitRetained(String what, Duration timeout, String topic, Predicate<Message> p) {
    Message[] found = new Message[1];
    TestBed.await(what, timeout, () -> {
      found[0] = retained(topic);
      return found[0] != null && found[0].retained() && p.test(found[0]);
    });
    return found[0];
  }

  /** Subscribes (QoS 1) and returns once the broker acknowledged the subscription. */
  public Sub subscribe(String... topics) throws IOException {
    Sub s = new Sub(this, topics);
    subs.add(s);
    return s;
  }

  /** Stops the subscribers and removes the option files. */
  @Override
  public void close() {
    subs.forEach(Sub::close);
    TestBed.exec(List.of("rm", "-rf", xdg.toString()), Map.of(), Duration.ofSeconds(30));
  }

  /** One message a subscriber printed. */
  public record Message(boolean retained, String topic, String payload) {
    /** The payload as JSON. */
    public JsonObject json() {
      return new JsonObject(payload);
    }

    static List<Message> parse(String printed) {
      List<Message> m = new ArrayList<>();
      for (String line : printed.split("\n")) {
        if (line.startsWith("MSG ")) {
          String[] p = line.split(" ", 4);
          m.add(new Message(p[1].equals("1"), p[2], p.length > 3 ? p[3] : ""));
        }
      }
      return m;
    }
  }

  /** A running {@code mosquitto_sub}; its printed messages are read back from a file. */
  public static final class Sub implements AutoCloseable {
    private final Process process;
    private final Path out;

    Sub(MqttOperator mqtt, String... topics) throws IOException {
      out = Files.createTempFile(mqtt.xdg, "sub", ".log");
      // stdbuf: mosquitto_sub block-buffers stdout into a file, which would hide the SUBACK and messages
      List<String> cmd = new ArrayList<>(List.of("stdbuf", "-oL", "mosquitto_sub", "-d", "-q", "1", "-F", "MSG %r %t %p"));
      for (String t : topics) {
        cmd.addAll(List.of("-t", t));
      }
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
      pb.environment().put("XDG_CONFIG_HOME", mqtt.xdg.toString());
      process = pb.start();
      try {
        TestBed.await("mosquitto_sub SUBACK for " + List.of(topics), Duration.ofSeconds(20), () -> {
          if (!process.isAlive()) {
            throw new IllegalStateException("mosquitto_sub exited: " + raw());
          }
          return raw().contains("received SUBACK");
        });
      } catch (AssertionError | RuntimeException e) {
        close();
        throw e;
      }
    }

    /** Everything mosquitto_sub printed so far (its -d protocol lines too). */
    public String raw() {
      try {
        return Files.readString(out);
      } catch (IOException e) {
        return "";
      }
    }

    /** The messages received so far, in order. */
    public List<Message> messages() {
      return Message.parse(raw());
    }

    /** The messages received so far that match. */
    public List<Message> messages(Predicate<Message> p) {
      return messages().stream().filter(p).toList();
    }

    /** Waits for a message matching {@code p} and returns the first such. */
    public Message await(String what, Duration timeout, Predicate<Message> p) {
      Message[] found = new Message[1];
      TestBed.await(what, timeout, () -> {
        found[0] = messages().stream().filter(p).findFirst().orElse(null);
        return found[0] != null;
      });
      return found[0];
    }

    /** Stops the subscriber. */
    @Override
    public void close() {
      process.destroy();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      process.destroyForcibly();
    }
  }

  /** A JSON message on {@code topic} whose field {@code field} equals {@code value}. */
  public static Predicate<Message> jsonWith(String topic, String field, Object value) {
    return m -> {
      if (!m.topic().equals(topic)) {
        return false;
      }
      try {
        return value.equals(m.json().getValue(field));
      } catch (RuntimeException notJson) {
        return false;
      }
    };
  }

  /** Signs an MQTT command as an operator would: HMAC-SHA256 over {@code jq -cjS 'del(.sig)'} of the payload. */
  public static JsonObject sign(JsonObject command, byte[] secret) throws IOException {
    Path f = Files.createTempFile("cmd", ".json");
    Files.writeString(f, command.encode());
    TestBed.Result r = TestBed.exec(List.of("jq", "-cjS", "del(.sig)", f.toString()), Map.of(), Duration.ofSeconds(20));
    Files.deleteIfExists(f);
    if (r.code() != 0) {
      fail("jq failed: " + r.err());
    }
    return command.copy().put("sig", Webhooks.hmacHex(secret, r.out().getBytes(StandardCharsets.UTF_8)));
  }
}
