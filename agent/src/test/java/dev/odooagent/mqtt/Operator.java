package dev.odooagent.mqtt;

import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The operator's side of the tests, through the real {@code mosquitto_pub} and {@code mosquitto_sub}. Credentials go
 * in the clients' config files under a private {@code XDG_CONFIG_HOME}, so no password is on a command line.
 */
final class Operator implements AutoCloseable {

  /** One message seen by a subscriber. */
  record Message(String topic, String payload) {
    JsonObject json() {
      return new JsonObject(payload);
    }
  }

  private final Path configHome;
  private final List<Subscription> subscriptions = new ArrayList<>();

  Operator(String host, int port, String user, String password) throws IOException {
    configHome = Files.createTempDirectory("mqtt-operator", PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rwx------")));
    String options = "-h " + host + "\n-p " + port + "\n-u " + user + "\n-P " + password + "\n";
    for (String client : List.of("mosquitto_pub", "mosquitto_sub")) {
      Path file = configHome.resolve(client);
      Files.writeString(file, options, StandardCharsets.UTF_8);
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }
  }

  /** Publishes with QoS 1 and waits until the broker has acknowledged it. */
  void publish(String topic, String payload) throws IOException, InterruptedException {
    run(List.of("mosquitto_pub", "-q", "1", "-t", topic, "-m", payload));
  }

  /** Clears the retained message of a topic. */
  void clearRetained(String topic) throws IOException, InterruptedException {
    run(List.of("mosquitto_pub", "-q", "1", "-r", "-n", "-t", topic));
  }

  /** Connects once with the given client id and a clean session, which discards that id's persistent session. */
  void discardSession(String clientId, String anyTopic) throws IOException, InterruptedException {
    run(List.of("mosquitto_pub", "-q", "1", "-i", clientId, "-n", "-t", anyTopic));
  }

  /** Reads the first message of a topic, e.g. its retained one, as {@code mosquitto_sub -C 1} does. */
  String readOne(String topic, Duration timeout) throws IOException, InterruptedException {
    return run(List.of("mosquitto_sub", "-C", "1", "-W", String.valueOf(timeout.toSeconds()), "-t", topic)).trim();
  }

  /**
   * Starts a subscriber on the topic filter and returns once it receives what is published to probeTopic (which the
   * filter must match), so that the subscription is known to be in place.
   */
  Subscription subscribe(String filter, String probeTopic) throws IOException, InterruptedException {
    Subscription subscription = new Subscription(start(List.of("mosquitto_sub", "-v", "-q", "1", "-t", filter)));
    subscriptions.add(subscription);
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    for (int attempt = 1; ; attempt++) {
      String probe = "probe-" + attempt;
      publish(probeTopic, probe);
      if (subscription.seen(m -> m.topic().equals(probeTopic) && m.payload().equals(probe), Duration.ofMillis(500))) {
        return subscription;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("mosquitto_sub on " + filter + " did not receive a probe within 10 s: "
            + subscription.output());
      }
    }
  }

  private Process start(List<String> command) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("XDG_CONFIG_HOME", configHome.toString());
    return builder.start();
  }

  private String run(List<String> command) throws IOException, InterruptedException {
    Process p = start(command);
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(command.get(0) + " did not finish within 30 s");
    }
    String text = new String(out, StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      throw new AssertionError(String.join(" ", command) + " exited " + p.exitValue() + ": " + text);
    }
    return text;
  }

  @Override
  public void close() throws IOException {
    for (Subscription s : subscriptions) {
      s.close();
    }
    try (var files = Files.list(configHome)) {
      for (Path f : files.toList()) {
        Files.deleteIfExists(f);
      }
    }
    Files.deleteIfExists(configHome);
  }

  /** A running {@code mosquitto_sub}; messages are kept in arrival order. */
  static final class Subscription implements AutoCloseable {

    private final Process process;
    private final List<Message> messages = new ArrayList<>();
    private final List<String> output = new ArrayList<>();

    private Subscription(Process process) {
      this.process = process;
      Thread reader = new Thread(this::read, "mosquitto_sub-reader");
      reader.setDaemon(true);
      reader.start();
    }

    private void read() {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
          StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          synchronized (this) {
            output.add(line);
            int space = line.indexOf(' ');
            if (space > 0) {
              messages.add(new Message(line.substring(0, space), line.substring(space + 1)));
            }
            notifyAll();
          }
        }
      } catch (IOException e) {
        // the process was stopped
      }
    }

    private synchronized List<String> output() {
      return List.copyOf(output);
    }

    private synchronized boolean seen(Predicate<Message> match, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (messages.stream().noneMatch(match)) {
        long left = deadline - System.nanoTime();
        if (left <= 0 || !process.isAlive()) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
      return true;
    }

    /** Waits for the first message so far or to come that matches; fails after the timeout. */
    synchronized Message await(Predicate<Message> match, Duration timeout, String what) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        for (Message m : messages) {
          if (match.test(m)) {
            return m;
          }
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("no message " + what + " within " + timeout.toSeconds() + " s; seen: " + messages);
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
    }

    /** All messages seen so far that match. */
    synchronized List<Message> all(Predicate<Message> match) {
      return messages.stream().filter(match).toList();
    }

    @Override
    public void close() {
      process.destroy();
      try {
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
