package dev.odooagent.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.WaitContainerResultCallback;
import com.github.dockerjava.api.exception.DockerClientException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.AuthConfig;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.PullResponseItem;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.transport.DockerHttpClient;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * The docker-java adapter of {@link DockerEngine}. Every blocking call runs on the named worker executor
 * {@code odoo-agent-docker}. Inspect and create go through the raw transport so that a container's
 * config round-trips verbatim, including fields docker-java's model does not know.
 */
public final class DockerJavaEngine implements DockerEngine, AutoCloseable {
  /** How long a one-shot's signal death is watched for the engine going away after it. */
  private static final Duration SHUTDOWN_WATCH = Duration.ofSeconds(5);
  /** How long a one-shot that lost its engine waits for the engine to answer again before it reports. */
  private static final Duration ENGINE_RETURN_WAIT = Duration.ofMinutes(3);
  private final String host;
  private final DockerHttpClient http;
  private final DockerClient client;
  private final WorkerExecutor executor;

  /** Connects lazily to the engine at {@code host} (unix:// or tcp://); the API version is negotiated, not pinned. */
  public DockerJavaEngine(Vertx vertx, String host, Duration maxBlocking) {
    this.host = host;
    DefaultDockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(host).build();
    this.http = new ZerodepDockerHttpClient.Builder()
        .dockerHost(config.getDockerHost())
        .sslConfig(config.getSSLConfig())
        .maxConnections(32)
        .connectionTimeout(Duration.ofSeconds(5))
        .build();
    this.client = DockerClientImpl.getInstance(config, http);
    this.executor = vertx.createSharedWorkerExecutor("odoo-agent-docker", 8, maxBlocking.toMillis(), TimeUnit.MILLISECONDS);
  }

  private <T> Future<T> blocking(String what, Callable<T> call) {
    return executor.executeBlocking(() -> {
      try {
        return call.call();
      } catch (DockerException e) {
        throw e;
      } catch (Exception e) {
        throw new DockerException(what + " failed: " + describe(e), e, unreachable(e));
      }
    }, false);
  }

  /** An I/O failure anywhere in the chain, or the engine saying it is shutting down: worth a retry once it is back. */
  private static boolean unreachable(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof IOException || shuttingDown(t.getMessage())) {
        return true;
      }
    }
    return false;
  }

  /** dockerd answers 500 "database not open" to calls that arrive while it shuts down. */
  private static boolean shuttingDown(String message) {
    return message != null && message.contains("database not open");
  }

  private String describe(Throwable e) {
    String m = e.getMessage();
    if (unreachable(e)) {
      return "the Docker engine at " + host + " did not answer or dropped the connection (" + m
          + "); check docker.host and that dockerd runs (was it restarted?)";
    }
    return m == null ? e.getClass().getSimpleName() : m.strip();
  }

  @Override
  public Future<String> ping() {
    return blocking("ping " + host, () -> {
      try {
        return client.versionCmd().exec().getApiVersion();
      } catch (RuntimeException e) {
        throw new DockerException("cannot reach the Docker engine at " + host + " (" + e.getMessage()
            + "); check docker.host, that dockerd runs, and that this user may open its socket", e);
      }
    });
  }

  @Override
  public Future<Optional<ContainerInfo>> inspectContainer(String nameOrId) {
    return blocking("inspect container " + nameOrId,
        () -> rawGet("/containers/" + enc(nameOrId) + "/json").map(DockerJavaEngine::toContainer));
  }

  @Override
  public Future<List<ContainerInfo>> listContainers(Map<String, String> labels) {
    return blocking("list containers " + labels, () -> {
      JsonArray label = new JsonArray();
      labels.forEach((k, v) -> label.add(k + "=" + v));
      String filters = new JsonObject().put("label", label).encode();
      JsonArray list = new JsonArray(new String(rawRequest("GET", "/containers/json?all=1&filters=" + enc(filters), null, 200), StandardCharsets.UTF_8));
      List<ContainerInfo> out = new ArrayList<>();
      for (int i = 0; i < list.size(); i++) {
        rawGet("/containers/" + list.getJsonObject(i).getString("Id") + "/json").map(DockerJavaEngine::toContainer).ifPresent(out::add);
      }
      return out;
    });
  }

  @Override
  public Future<Optional<ImageInfo>> inspectImage(String ref) {
    return blocking("inspect image " + ref, () -> rawGet("/images/" + ref + "/json").map(DockerJavaEngine::toImage));
  }

  @Override
  public Future<List<ImageInfo>> listImages(String repository) {
    return blocking("list images " + repository, () -> {
      String filters = new JsonObject().put("reference", new JsonArray().add(repository)).encode();
      JsonArray list = new JsonArray(new String(rawRequest("GET", "/images/json?all=0&digests=1&filters=" + enc(filters), null, 200), StandardCharsets.UTF_8));
      List<ImageInfo> out = new ArrayList<>();
      for (int i = 0; i < list.size(); i++) {
        rawGet("/images/" + list.getJsonObject(i).getString("Id") + "/json").map(DockerJavaEngine::toImage).ifPresent(out::add);
      }
      return out;
    });
  }

  @Override
  public Future<Void> pullImage(String repository, String digest, RegistryAuth auth, Consumer<String> progress, Duration timeout) {
    String ref = repository + "@" + digest;
    return blocking("pull " + ref, () -> {
      var cmd = client.pullImageCmd(repository).withTag(digest);
      if (auth.username() != null) {
        cmd.withAuthConfig(new AuthConfig().withRegistryAddress(auth.serverAddress())
            .withUsername(auth.username()).withPassword(auth.password()));
      }
      PullProgress listener = cmd.exec(new PullProgress(progress));
      try {
        if (!listener.awaitCompletion(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          throw new DockerException("pull " + ref + " did not finish within " + timeout.toSeconds()
              + " s (deploy.pull_timeout); abandoned, and the engine cancels it (check that the registry answers: " + listener.last + ")", null, false);
        }
      } finally {
        // closing the stream is how a client cancels a pull: the engine stops it once no client waits for it
        listener.close();
      }
      if (listener.error != null) {
        throw new DockerException("pull " + ref + " failed: " + listener.error
            + (listener.error.contains("unauthorized") ? " (check registry.username / registry.password_file)" : ""), null, false);
      }
      if (!listener.finished) {
        throw new DockerException("pull " + ref + " was cut off: the Docker engine at " + host
            + " closed the stream before the pull finished (did dockerd stop or restart?); last progress: " + listener.last, null, true);
      }
      return null;
    });
  }

  /** Turns the engine's pull stream into one progress line per layer state change, plus byte counts every 2 s. */
  private static final class PullProgress extends ResultCallback.Adapter<PullResponseItem> {
    private final Consumer<String> out;
    private final Map<String, String> lastStatus = new HashMap<>();
    private long lastBytesLine;
    volatile String error;
    /** The engine's closing "Status: ..." line was seen: a stream that ends without it was cut off. */
    volatile boolean finished;
    volatile String last = "(none)";

    PullProgress(Consumer<String> out) {
      this.out = out;
    }

    @Override
    public void onNext(PullResponseItem item) {
      if (item.isErrorIndicated()) {
        error = item.getErrorDetail() != null ? item.getErrorDetail().getMessage() : item.getError();
        return;
      }
      String id = item.getId() == null ? "" : item.getId();
      String status = item.getStatus() == null ? "" : item.getStatus();
      last = (id.isEmpty() ? "" : id + ": ") + status;
      if (status.startsWith("Status: ")) {
        finished = true;
      }
      var detail = item.getProgressDetail();
      if (!status.equals(lastStatus.put(id, status))) {
        out.accept((id.isEmpty() ? "" : id + ": ") + status);
      } else if (detail != null && detail.getTotal() != null && detail.getTotal() > 0
          && System.currentTimeMillis() - lastBytesLine > 2000) {
        lastBytesLine = System.currentTimeMillis();
        out.accept(id + ": " + status + " " + detail.getCurrent() / 1024 + "/" + detail.getTotal() / 1024 + " KiB");
      }
    }
  }

  @Override
  public Future<Void> removeImage(String id) {
    return blocking("remove image " + id, () -> {
      try {
        client.removeImageCmd(id).withForce(false).withNoPrune(false).exec();
      } catch (NotFoundException e) {
        // already gone: the goal state holds
      }
      return null;
    });
  }

  @Override
  public Future<Owned> createContainer(ContainerSpec spec) {
    String deployId = spec.body().getJsonObject("Labels", new JsonObject()).getString(ContainerSpecs.LABEL_DEPLOY);
    if (deployId == null) {
      return Future.failedFuture(new IllegalArgumentException("container " + spec.name() + " has no "
          + ContainerSpecs.LABEL_DEPLOY + " label; the agent creates only containers it can recognise as its own"));
    }
    return blocking("create container " + spec.name(), () -> Owned.created(create(spec), deployId));
  }

  private String create(ContainerSpec spec) throws IOException {
    byte[] body = spec.body().encode().getBytes(StandardCharsets.UTF_8);
    JsonObject created = new JsonObject(new String(rawRequest("POST", "/containers/create?name=" + enc(spec.name()), body, 201), StandardCharsets.UTF_8));
    String id = created.getString("Id");
    for (Map.Entry<String, JsonObject> n : spec.extraNetworks().entrySet()) {
      JsonObject connect = new JsonObject().put("Container", id).put("EndpointConfig", n.getValue());
      rawRequest("POST", "/networks/" + enc(n.getKey()) + "/connect", connect.encode().getBytes(StandardCharsets.UTF_8), 200);
    }
    return id;
  }

  @Override
  public Future<Void> reconnect(Owned container, String network, JsonObject endpoint) {
    return blocking("reconnect container " + container + " to network " + network, () -> {
      byte[] leave = new JsonObject().put("Container", container.id()).put("Force", true).encode().getBytes(StandardCharsets.UTF_8);
      try {
        rawRequest("POST", "/networks/" + enc(network) + "/disconnect", leave, 200);
      } catch (DockerException notOnIt) {
        // not on that network: joining is what counts, and a join that cannot be done fails with the engine's reason
      }
      byte[] join = new JsonObject().put("Container", container.id()).put("EndpointConfig", endpoint).encode().getBytes(StandardCharsets.UTF_8);
      rawRequest("POST", "/networks/" + enc(network) + "/connect", join, 200);
      return null;
    });
  }

  @Override
  public Future<Void> startContainer(String id) {
    return blocking("start container " + id, () -> {
      try {
        client.startContainerCmd(id).exec();
      } catch (NotModifiedException e) {
        // already running: the goal state holds
      }
      return null;
    });
  }

  @Override
  public Future<Void> stopContainer(Owned container, Duration timeout) {
    String id = container.id();
    return blocking("stop container " + container, () -> {
      try {
        client.stopContainerCmd(id).withTimeout((int) Math.max(1, timeout.toSeconds())).exec();
      } catch (NotModifiedException | NotFoundException e) {
        // already stopped or gone: the goal state holds
      }
      return null;
    });
  }

  @Override
  public Future<Void> renameContainer(Owned container, String newName) {
    return blocking("rename container " + container + " to " + newName, () -> {
      client.renameContainerCmd(container.id()).withName(newName).exec();
      return null;
    });
  }

  @Override
  public Future<Void> removeContainer(Owned container) {
    return blocking("remove container " + container, () -> {
      try {
        client.removeContainerCmd(container.id()).withForce(true).withRemoveVolumes(false).exec();
      } catch (NotFoundException e) {
        // already gone: the goal state holds
      }
      return null;
    });
  }

  @Override
  public Future<Void> removeVolume(String name) {
    return blocking("remove volume " + name, () -> {
      try {
        client.removeVolumeCmd(name).exec();
      } catch (NotFoundException | com.github.dockerjava.api.exception.ConflictException e) {
        // gone already, or still in use: either way not ours to force
      }
      return null;
    });
  }

  @Override
  public Future<OneShotResult> runOneShot(ContainerSpec spec, Duration timeout, int tailLines) {
    return blocking("one-shot container " + spec.name(), () -> {
      String id = create(spec);
      try {
        client.startContainerCmd(id).exec();
        Integer code = null;
        boolean timedOut = false;
        try (WaitContainerResultCallback wait = client.waitContainerCmd(id).exec(new WaitContainerResultCallback())) {
          if (awaitOrLoseEngine(wait, timeout, spec.name())) {
            code = exitCode(wait, spec.name());
            if (code == 137 || code == 143) {
              engineStillUp(id, spec.name(), code);
            }
          } else {
            timedOut = true;
            try {
              client.killContainerCmd(id).exec();
            } catch (RuntimeException ignored) {
              // it may have exited just now; removal below settles it
            }
          }
        }
        return new OneShotResult(code, timedOut, logsTail(id, tailLines));
      } finally {
        try {
          // -v: the image's VOLUMEs (/mnt/extra-addons, ...) got fresh anonymous volumes here; volumes carried over
          // from the service container are mounted by name, and the engine never removes those with the container.
          client.removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
        } catch (RuntimeException ignored) {
          // cleanup only: a leftover is found later by its label
        }
      }
    });
  }

  /**
   * A one-shot killed by a signal the agent did not send: an engine that shuts down stops its containers so, and goes
   * away a moment later. If it does, this waits for it to answer again (so that what follows, a rollback, finds it) and
   * fails naming the engine, not the one-shot's command.
   */
  private void engineStillUp(String id, String name, int code) throws InterruptedException {
    long until = System.nanoTime() + SHUTDOWN_WATCH.toNanos();
    while (System.nanoTime() < until) {
      try {
        client.inspectContainerCmd(id).exec();
      } catch (RuntimeException e) {
        if (unreachable(e)) {
          throw engineWentAway(name, "was stopped (exit " + code + ") as the Docker engine at " + host + " shut down", e);
        }
        return;
      }
      TimeUnit.MILLISECONDS.sleep(250);
    }
  }

  /** Whether the one-shot finished within the timeout; a wait stream cut by the engine fails naming the engine. */
  private boolean awaitOrLoseEngine(WaitContainerResultCallback wait, Duration timeout, String name) throws InterruptedException {
    try {
      return wait.awaitCompletion(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RuntimeException e) {
      if (unreachable(e)) {
        throw engineWentAway(name, "lost its engine: the Docker engine at " + host + " dropped the connection before it finished", e);
      }
      throw e;
    }
  }

  /** The exit code the engine reported; a wait stream that ended without one means the engine went away. */
  private Integer exitCode(WaitContainerResultCallback wait, String name) throws InterruptedException {
    try {
      return wait.awaitStatusCode();
    } catch (DockerClientException | IllegalStateException noStatus) {
      throw engineWentAway(name, "lost its engine: the Docker engine at " + host + " closed the connection before it finished",
          new IOException("the wait stream ended without an exit code", noStatus));
    }
  }

  /**
   * Waits (bounded) for the engine to answer again, then describes the one-shot's loss as an engine failure. An engine
   * that still answers while it shuts down is not back: only an answer after a refused connection counts.
   */
  private DockerException engineWentAway(String name, String what, Throwable cause) throws InterruptedException {
    long until = System.nanoTime() + ENGINE_RETURN_WAIT.toNanos();
    boolean down = ioFailure(cause);
    boolean back = false;
    while (!back && System.nanoTime() < until) {
      TimeUnit.SECONDS.sleep(1);
      try {
        client.pingCmd().exec();
        back = down;
      } catch (RuntimeException stillAway) {
        down = true;
      }
    }
    return new DockerException("one-shot container " + name + " " + what + " (did dockerd stop or restart?); "
        + (back ? "the engine answers again" : "the engine did not answer again within " + ENGINE_RETURN_WAIT.toSeconds() + " s"), cause, true);
  }

  private static boolean ioFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof IOException) {
        return true;
      }
    }
    return false;
  }

  private String logsTail(String id, int lines) throws InterruptedException {
    Deque<String> tail = new ArrayDeque<>();
    client.logContainerCmd(id).withStdOut(true).withStdErr(true).withTail(lines)
        .exec(new ResultCallback.Adapter<Frame>() {
          @Override
          public void onNext(Frame frame) {
            for (String line : new String(frame.getPayload(), StandardCharsets.UTF_8).split("\n")) {
              tail.addLast(line);
              if (tail.size() > lines) {
                tail.removeFirst();
              }
            }
          }
        }).awaitCompletion(30, TimeUnit.SECONDS);
    return String.join("\n", tail);
  }

  @Override
  public Future<String> readFile(String containerId, String path) {
    return blocking("read " + path + " from container " + containerId, () -> {
      try (InputStream in = client.copyArchiveFromContainerCmd(containerId, path).exec();
           TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
        TarArchiveEntry entry;
        while ((entry = tar.getNextEntry()) != null) {
          if (entry.isFile()) {
            return new String(tar.readAllBytes(), StandardCharsets.UTF_8);
          }
        }
        throw new DockerException(path + " in container " + containerId + " is not a regular file", null);
      }
    });
  }

  @Override
  public Future<List<String>> processCommandLines(String containerId) {
    return blocking("list processes of container " + containerId, () -> {
      var top = client.topContainerCmd(containerId).withPsArgs("-eo pid,args").exec();
      int col = top.getTitles().length - 1;
      List<String> out = new ArrayList<>();
      for (String[] p : top.getProcesses()) {
        out.add(p[col]);
      }
      return out;
    });
  }

  @Override
  public Future<MemoryStats> memory(String containerId) {
    // one-shot (API 1.41+): one sample instead of two a second apart; older engines ignore it
    return blocking("read memory stats of container " + containerId, () -> {
      JsonObject stats = rawGet("/containers/" + enc(containerId) + "/stats?stream=false&one-shot=true").orElse(new JsonObject());
      JsonObject mem = stats.getJsonObject("memory_stats", new JsonObject());
      return new MemoryStats(mem.getLong("usage", 0L), mem.getLong("limit", 0L));
    });
  }

  private Optional<JsonObject> rawGet(String path) throws IOException {
    byte[] body = rawRequest("GET", path, null, 200, 404);
    return body == null ? Optional.empty() : Optional.of(new JsonObject(new String(body, StandardCharsets.UTF_8)));
  }

  /** One raw engine call; returns the body for an expected status, null for 404 when 404 is allowed. */
  private byte[] rawRequest(String method, String path, byte[] body, int expected, int... allowedMissing) throws IOException {
    var builder = DockerHttpClient.Request.builder().method(DockerHttpClient.Request.Method.valueOf(method)).path(path);
    if (body != null) {
      builder.putHeader("Content-Type", "application/json").body(new ByteArrayInputStream(body));
    }
    try (DockerHttpClient.Response r = http.execute(builder.build())) {
      byte[] bytes = r.getBody().readAllBytes();
      int status = r.getStatusCode();
      if (status == expected || (status == 204 && expected == 200)) {
        return bytes;
      }
      for (int m : allowedMissing) {
        if (status == m) {
          return null;
        }
      }
      String msg = new String(bytes, StandardCharsets.UTF_8);
      try {
        msg = new JsonObject(msg).getString("message", msg);
      } catch (RuntimeException notJson) {
        // keep the raw text
      }
      throw new DockerException(method + " " + path.replaceAll("\\?.*", "") + ": engine answered " + status + ": " + msg.strip()
          + (shuttingDown(msg) ? " (the Docker engine is shutting down)" : ""), null, shuttingDown(msg));
    } catch (RuntimeException e) {
      if (e instanceof DockerException) {
        throw e;
      }
      throw new IOException("cannot reach the Docker engine at " + host + " (" + e.getMessage() + "; check docker.host and that dockerd runs)", e);
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** The container as an inspect document describes it. */
  static ContainerInfo toContainer(JsonObject j) {
    JsonObject state = j.getJsonObject("State", new JsonObject());
    JsonObject cfg = j.getJsonObject("Config", new JsonObject());
    String name = j.getString("Name", "");
    return new ContainerInfo(
        j.getString("Id"),
        name.startsWith("/") ? name.substring(1) : name,
        cfg.getString("Image"),
        j.getString("Image"),
        state.getBoolean("Running", false),
        state.getString("Status", "unknown"),
        j.getInteger("RestartCount", 0),
        state.getString("StartedAt"),
        stringMap(cfg.getJsonObject("Labels")),
        j);
  }

  /** The image as an inspect document describes it. */
  static ImageInfo toImage(JsonObject j) {
    JsonObject cfg = j.getJsonObject("Config", new JsonObject());
    return new ImageInfo(j.getString("Id"), strings(j.getJsonArray("RepoTags")), strings(j.getJsonArray("RepoDigests")),
        stringMap(cfg.getJsonObject("Labels")), cfg, j.getString("Created"));
  }

  private static List<String> strings(JsonArray a) {
    List<String> out = new ArrayList<>();
    if (a != null) {
      a.forEach(x -> out.add(String.valueOf(x)));
    }
    return out;
  }

  private static Map<String, String> stringMap(JsonObject o) {
    Map<String, String> out = new LinkedHashMap<>();
    if (o != null) {
      o.forEach(e -> out.put(e.getKey(), String.valueOf(e.getValue())));
    }
    return out;
  }

  @Override
  public void close() {
    executor.close();
    try {
      client.close();
    } catch (IOException ignored) {
      // shutting down
    }
  }
}
