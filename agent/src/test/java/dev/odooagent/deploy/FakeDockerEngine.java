package dev.odooagent.deploy;

import dev.odooagent.docker.ContainerInfo;
import dev.odooagent.docker.ContainerSpec;
import dev.odooagent.docker.ContainerSpecs;
import dev.odooagent.docker.DockerEngine;
import dev.odooagent.docker.DockerException;
import dev.odooagent.docker.ImageInfo;
import dev.odooagent.docker.InspectFixtures;
import dev.odooagent.docker.MemoryStats;
import dev.odooagent.docker.OneShotResult;
import dev.odooagent.docker.Owned;
import dev.odooagent.docker.RegistryAuth;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * An in-memory container engine: containers and images, behaviour scripted per scenario, and the ordered list of
 * calls. Containers are named in calls by an alias ({@code old}, {@code new}, {@code new2}, {@code oneshot:<role>})
 * so that scenarios read as scripts. Calls of a deploy complete synchronously, as a fast engine would.
 */
final class FakeDockerEngine implements DockerEngine {
  /** One container the fake engine holds. */
  static final class Box {
    final String id;
    final String alias;
    String name;
    String imageId;
    boolean running;
    final JsonObject raw;

    Box(String id, String alias, String name, String imageId, boolean running, JsonObject raw) {
      this.id = id;
      this.alias = alias;
      this.name = name;
      this.imageId = imageId;
      this.running = running;
      this.raw = raw;
    }

    ContainerInfo info() {
      JsonObject r = raw.copy().put("Id", id).put("Name", "/" + name).put("Image", imageId);
      r.put("State", r.getJsonObject("State", new JsonObject()).copy().put("Running", running)
          .put("Status", running ? "running" : "exited"));
      return InspectFixtures.container(r);
    }

    String label(String key) {
      return raw.getJsonObject("Config", new JsonObject()).getJsonObject("Labels", new JsonObject()).getString(key);
    }
  }

  /** One recorded call and the journal's last entry when it was made. */
  record Call(String what, String journal) {}

  final Map<String, Box> containers = new LinkedHashMap<>();
  final Map<String, ImageInfo> local = new LinkedHashMap<>();
  /** What a pull of a digest brings. */
  final Map<String, ImageInfo> registry = new HashMap<>();
  /** Display names of digests and image ids in calls. */
  final Map<String, String> imageNames = new HashMap<>();
  final List<Call> calls = new ArrayList<>();
  /** The one-shot result per role; the default is exit 0 with no output. */
  final Map<String, Function<ContainerSpec, OneShotResult>> oneShots = new HashMap<>();
  /** The last one-shot spec per role. */
  final Map<String, ContainerSpec> oneShotSpecs = new LinkedHashMap<>();
  /** Calls that fail with the given exception, by their recorded text. */
  final Map<String, RuntimeException> failures = new HashMap<>();
  /** When set, create registers the container and then fails, as a failed network connect after create would. */
  String createLeavesContainerAndFails;
  final List<ContainerSpec> created = new ArrayList<>();
  /** Tells which journal entry was last written, to prove each step is journaled before it runs. */
  Supplier<String> journalProbe = () -> "";
  private String hangAt;
  private Promise<Void> hung;
  private int mark;
  private int createdCount;

  /** Makes the call with this text never complete, as if the agent were killed while it ran. */
  Future<Void> hangAt(String call) {
    hangAt = call;
    hung = Promise.promise();
    return hung.future();
  }

  /** Stops hanging: the restarted agent gets answers. */
  void unhang() {
    hangAt = null;
  }

  /** Starts a new section of the call list, e.g. after a simulated restart. */
  void mark() {
    mark = calls.size();
  }

  /** Calls since the last mark that change something (no inspects or lists, no removal of what is absent). */
  List<String> mutations() {
    return calls.subList(mark, calls.size()).stream().map(Call::what)
        .filter(c -> !c.startsWith("inspect ") && !c.startsWith("list ") && !c.startsWith("remove absent ")).toList();
  }

  /** Every call since the last mark. */
  List<String> all() {
    return calls.subList(mark, calls.size()).stream().map(Call::what).toList();
  }

  /** The journal's last entry when a call was made. */
  String journalAt(String what) {
    return calls.stream().filter(c -> c.what().equals(what)).findFirst().map(Call::journal)
        .orElseThrow(() -> new AssertionError("no call " + what + " in " + all()));
  }

  Box add(String id, String alias, String name, String imageId, boolean running, JsonObject raw) {
    Box b = new Box(id, alias, name, imageId, running, raw);
    containers.put(id, b);
    return b;
  }

  void addImage(String name, ImageInfo image, boolean pulled) {
    imageNames.put(image.id(), name);
    image.repoDigests().forEach(rd -> imageNames.put(rd.substring(rd.indexOf('@') + 1), name));
    if (pulled) {
      local.put(image.id(), image);
    } else {
      image.repoDigests().forEach(rd -> registry.put(rd.substring(rd.indexOf('@') + 1), image));
    }
  }

  Box find(String idOrName) {
    Box b = containers.get(idOrName);
    if (b != null) {
      return b;
    }
    return containers.values().stream().filter(c -> c.name.equals(idOrName)).findFirst().orElse(null);
  }

  Box byAlias(String alias) {
    return containers.values().stream().filter(c -> c.alias.equals(alias)).findFirst().orElse(null);
  }

  private String nameOf(String idOrName) {
    Box b = find(idOrName);
    return b == null ? idOrName : b.alias;
  }

  private String imageName(String ref) {
    String key = ref.contains("@") ? ref.substring(ref.indexOf('@') + 1) : ref;
    return imageNames.getOrDefault(key, ref);
  }

  /** Records a call; answers the scripted failure or hang, else runs {@code effect}. */
  private <T> Future<T> call(String what, Supplier<Future<T>> effect) {
    calls.add(new Call(what, journalProbe.get()));
    if (what.equals(hangAt)) {
      hung.tryComplete();
      return Promise.<T>promise().future();
    }
    RuntimeException failure = failures.get(what);
    if (failure != null) {
      return Future.failedFuture(failure);
    }
    try {
      return effect.get();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  @Override
  public Future<String> ping() {
    return Future.succeededFuture("1.41");
  }

  @Override
  public Future<Optional<ContainerInfo>> inspectContainer(String nameOrId) {
    return call("inspect container " + nameOf(nameOrId), () -> {
      Box b = find(nameOrId);
      return Future.succeededFuture(Optional.ofNullable(b == null ? null : b.info()));
    });
  }

  @Override
  public Future<List<ContainerInfo>> listContainers(Map<String, String> labels) {
    return call("list containers " + labels, () -> Future.succeededFuture(containers.values().stream()
        .filter(b -> labels.entrySet().stream().allMatch(l -> l.getValue().equals(b.label(l.getKey()))))
        .map(Box::info).toList()));
  }

  @Override
  public Future<Optional<ImageInfo>> inspectImage(String ref) {
    return call("inspect image " + imageName(ref), () -> Future.succeededFuture(local.values().stream()
        .filter(i -> i.id().equals(ref) || i.repoDigests().contains(ref) || i.repoTags().contains(ref)).findFirst()));
  }

  @Override
  public Future<List<ImageInfo>> listImages(String repository) {
    return call("list images", () -> Future.succeededFuture(local.values().stream()
        .filter(i -> i.repoDigests().stream().anyMatch(rd -> rd.startsWith(repository + "@"))).toList()));
  }

  @Override
  public Future<Void> pullImage(String repository, String digest, RegistryAuth auth, Consumer<String> progress, Duration timeout) {
    return call("pull " + imageName(digest), () -> {
      ImageInfo image = registry.get(digest);
      if (image == null) {
        throw new DockerException("pull " + repository + "@" + digest + " failed: manifest unknown", null);
      }
      progress.accept(digest.substring(7, 19) + ": Pull complete");
      local.put(image.id(), image);
      return Future.succeededFuture();
    });
  }

  @Override
  public Future<Void> removeImage(String id) {
    return call("remove image " + imageName(id), () -> {
      local.remove(id);
      return Future.succeededFuture();
    });
  }

  @Override
  public Future<Void> removeVolume(String name) {
    return call("remove volume " + name, Future::succeededFuture);
  }

  @Override
  public Future<Owned> createContainer(ContainerSpec spec) {
    return call("create " + spec.name(), () -> {
      if (find(spec.name()) != null) {
        throw new DockerException("create container " + spec.name() + " failed: Conflict. The container name \"/"
            + spec.name() + "\" is already in use", null);
      }
      created.add(spec);
      Box b = register(spec, ++createdCount == 1 ? "new" : "new" + createdCount);
      if (createLeavesContainerAndFails != null) {
        throw new DockerException(createLeavesContainerAndFails, null);
      }
      String deployId = spec.body().getJsonObject("Labels", new JsonObject()).getString(ContainerSpecs.LABEL_DEPLOY);
      return Future.succeededFuture(Owned.labelled(b.info(), deployId).orElseThrow(
          () -> new IllegalArgumentException("the agent created " + spec.name() + " without its deploy label")));
    });
  }

  private Box register(ContainerSpec spec, String alias) {
    String ref = spec.body().getString("Image");
    String imageId = local.values().stream().filter(i -> i.id().equals(ref) || i.repoDigests().contains(ref))
        .map(ImageInfo::id).findFirst().orElseThrow(() -> new DockerException("create: No such image: " + ref, null));
    String id = String.format("%064x", (long) (alias.hashCode() & 0x7fffffff)).replace(' ', '0');
    JsonObject raw = new JsonObject().put("Config", spec.body().copy().put("Image", ref))
        .put("HostConfig", spec.body().getJsonObject("HostConfig", new JsonObject()).copy())
        .put("NetworkSettings", new JsonObject().put("Networks", new JsonObject()));
    return add(id, alias, spec.name(), imageId, false, raw);
  }

  /** Recorded as {@code join <alias> <network>}; the container then has the endpoint's aliases there. */
  @Override
  public Future<Void> reconnect(Owned c, String network, JsonObject endpoint) {
    String id = c.id();
    return call("join " + nameOf(id) + " " + network, () -> {
      existing(id).raw.getJsonObject("NetworkSettings").getJsonObject("Networks").put(network, endpoint.copy());
      return Future.succeededFuture();
    });
  }

  @Override
  public Future<Void> startContainer(String id) {
    return call("start " + nameOf(id), () -> {
      Box b = existing(id);
      b.running = true;
      return Future.succeededFuture();
    });
  }

  @Override
  public Future<Void> stopContainer(Owned c, Duration timeout) {
    String id = c.id();
    return call("stop " + nameOf(id), () -> {
      existing(id).running = false;
      return Future.succeededFuture();
    });
  }

  @Override
  public Future<Void> renameContainer(Owned c, String newName) {
    String id = c.id();
    return call("rename " + nameOf(id) + " " + newName, () -> {
      Box b = existing(id);
      Box other = find(newName);
      if (other != null && other != b) {
        throw new DockerException("rename container " + id + " to " + newName + " failed: name is in use", null);
      }
      b.name = newName;
      return Future.succeededFuture();
    });
  }

  @Override
  public Future<Void> removeContainer(Owned c) {
    String id = c.id();
    Box b = find(id);
    return call(b == null ? "remove absent " + id : "remove " + b.alias, () -> {
      if (b != null) {
        containers.remove(b.id);
      }
      return Future.succeededFuture();
    });
  }

  @Override
  public Future<OneShotResult> runOneShot(ContainerSpec spec, Duration timeout, int tailLines) {
    String role = spec.body().getJsonObject("Labels").getString(ContainerSpecs.LABEL_ROLE);
    oneShotSpecs.put(role, spec);
    // while it runs it is a container like any other: an agent killed now leaves it behind
    Box box = register(spec, "oneshot:" + role);
    box.running = true;
    return call("oneShot " + role, () -> {
      containers.remove(box.id);
      return Future.succeededFuture(oneShots.getOrDefault(role, s -> new OneShotResult(0, false, role + " done")).apply(spec));
    });
  }

  private Box existing(String id) {
    Box b = find(id);
    if (b == null) {
      throw new DockerException("No such container: " + id, null);
    }
    return b;
  }

  @Override
  public Future<String> readFile(String containerId, String path) {
    return Future.failedFuture(new UnsupportedOperationException("readFile"));
  }

  @Override
  public Future<List<String>> processCommandLines(String containerId) {
    return Future.failedFuture(new UnsupportedOperationException("processCommandLines"));
  }

  @Override
  public Future<MemoryStats> memory(String containerId) {
    return Future.failedFuture(new UnsupportedOperationException("memory"));
  }
}
