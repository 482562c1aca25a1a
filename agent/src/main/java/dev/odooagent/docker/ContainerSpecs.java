package dev.odooagent.docker;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Builds create bodies as pure values. {@link #recreate} keeps everything of a container but its image;
 * settings that came from the old image are left out so that the new image's own apply.
 */
public final class ContainerSpecs {
  /** Label on every container the agent creates. */
  public static final String LABEL_MANAGED = "odoo-agent.managed";
  /** Label naming the deploy that created a one-shot container. */
  public static final String LABEL_DEPLOY = "odoo-agent.deploy";
  /** Label naming a one-shot container's role (snapshot, upgrade, restore, inspect). */
  public static final String LABEL_ROLE = "odoo-agent.role";

  /** Where an Odoo image ships code in a VOLUME: never carried from the old container. */
  static final List<String> CODE_PATHS = List.of("/mnt/extra-addons");
  private static final List<String> FROM_IMAGE_IF_EQUAL =
      List.of("Cmd", "Entrypoint", "WorkingDir", "User", "Healthcheck", "StopSignal", "Shell", "OnBuild");
  private static final List<String> COPIED_AS_IS =
      List.of("Domainname", "Tty", "OpenStdin", "StdinOnce", "AttachStdin", "AttachStdout", "AttachStderr", "StopTimeout",
          "ArgsEscaped", "NetworkDisabled", "MacAddress");

  private ContainerSpecs() {}

  /**
   * The spec of a container like {@code old} but running {@code newImage}: env, mounts, networks and aliases, ports,
   * labels, restart policy, healthcheck, resources, user, hostname and command are kept unless they came from the old image.
   */
  public static ContainerSpec recreate(ContainerInfo old, JsonObject oldImageConfig, String newImage, String deployId) {
    ContainerSpec spec = copy(old, oldImageConfig, newImage);
    // the agent's own mark: later deploys and crash recovery may touch only containers that carry it
    spec.body().getJsonObject("Labels").put(LABEL_MANAGED, "true").put(LABEL_DEPLOY, deployId);
    return spec;
  }

  /**
   * As {@link #recreate}, under {@code name}, to run beside the old container: same networks, no host port published
   * (the caller checked with {@link #besideObstacle} that the old one publishes none), and no aliases yet: it joins
   * them once it passed its gate ({@link #aliasEndpoints}).
   */
  public static ContainerSpec beside(ContainerInfo old, JsonObject oldImageConfig, String newImage, String deployId, String name) {
    ContainerSpec spec = recreate(old, oldImageConfig, newImage, deployId);
    JsonObject host = spec.body().getJsonObject("HostConfig");
    host.remove("PortBindings");
    host.put("PublishAllPorts", false);
    // no aliases until it passed its gate: a proxy dialling an alias would send users to a container not yet known good
    JsonObject endpoints = spec.body().getJsonObject("NetworkingConfig", new JsonObject()).getJsonObject("EndpointsConfig");
    if (endpoints != null) {
      endpoints.forEach(e -> ((JsonObject) e.getValue()).remove("Aliases"));
    }
    Map<String, JsonObject> extra = new LinkedHashMap<>();
    spec.extraNetworks().forEach((n, ep) -> {
      JsonObject copy = ep.copy();
      copy.remove("Aliases");
      extra.put(n, copy);
    });
    return new ContainerSpec(name, spec.body(), extra);
  }

  /**
   * The networks where {@code old} has aliases, each with the endpoint settings that give a container the same ones:
   * what a container started {@link #beside} it joins once it passed its gate.
   */
  public static Map<String, JsonObject> aliasEndpoints(ContainerInfo old) {
    Map<String, JsonObject> out = new LinkedHashMap<>();
    endpoints(old).forEach((n, ep) -> {
      if (ep.containsKey("Aliases")) {
        out.put(n, ep);
      }
    });
    return out;
  }

  /** Whether {@code c} answers to every alias of {@code endpoint} on {@code network}. */
  public static boolean hasAliases(ContainerInfo c, String network, JsonObject endpoint) {
    JsonObject ep = c.raw().getJsonObject("NetworkSettings", new JsonObject()).getJsonObject("Networks", new JsonObject())
        .getJsonObject(network);
    JsonArray have = ep == null ? null : ep.getJsonArray("Aliases");
    JsonArray want = endpoint.getJsonArray("Aliases", new JsonArray());
    return have != null && want.stream().allMatch(have::contains);
  }

  /**
   * Why a second container like {@code c} cannot run beside it while both serve, or null when it can: a host port
   * can be bound by one of them only, host networking and a shared network namespace share the port too, and a
   * fixed IP or MAC address can be held by one of them only.
   */
  public static String besideObstacle(ContainerInfo c) {
    JsonObject host = c.raw().getJsonObject("HostConfig", new JsonObject());
    String mode = host.getString("NetworkMode", "default");
    if (mode.equals("host")) {
      return "it uses host networking (--network host), so two containers would need the same port";
    }
    if (mode.startsWith("container:")) {
      return "it shares another container's network (" + mode + "), so two containers would need the same port";
    }
    if (mode.equals("none")) {
      return "it has no network, so it has no address to be checked at or reached by";
    }
    // the engine shows null, not {}, for a container created without any (one the agent started beside another, say)
    JsonObject bindings = host.getValue("PortBindings") instanceof JsonObject b ? b : new JsonObject();
    for (String port : bindings.fieldNames()) {
      JsonArray b = bindings.getJsonArray(port);
      if (b != null && !b.isEmpty()) {
        JsonObject first = b.getJsonObject(0);
        return "it publishes " + port + " on the host (" + first.getString("HostIp", "") + ":" + first.getString("HostPort", "")
            + "), which only one container can bind";
      }
    }
    if (host.getBoolean("PublishAllPorts", false)) {
      return "it publishes its ports on the host (-P), which only one container can bind";
    }
    String mac = c.raw().getJsonObject("Config", new JsonObject()).getString("MacAddress");
    if (mac != null && !mac.isEmpty()) {
      return "it has a fixed MAC address (" + mac + "), which only one container can hold";
    }
    for (JsonObject ep : endpoints(c).values()) {
      JsonObject ipam = ep.getJsonObject("IPAMConfig");
      String v4 = ipam == null ? null : ipam.getString("IPv4Address");
      String v6 = ipam == null ? null : ipam.getString("IPv6Address");
      if ((v4 != null && !v4.isEmpty()) || (v6 != null && !v6.isEmpty())) {
        return "it has a fixed IP address (" + (v4 != null && !v4.isEmpty() ? v4 : v6) + "), which only one container can hold";
      }
    }
    return null;
  }

  private static ContainerSpec copy(ContainerInfo old, JsonObject oldImageConfig, String newImage) {
    JsonObject cfg = old.raw().getJsonObject("Config", new JsonObject());
    JsonObject img = oldImageConfig == null ? new JsonObject() : oldImageConfig;
    JsonObject body = new JsonObject().put("Image", newImage);
    String hostname = cfg.getString("Hostname");
    String networkMode = old.raw().getJsonObject("HostConfig", new JsonObject()).getString("NetworkMode", "default");
    // in container:<id> mode the hostname is the other container's, and the engine refuses to create with one
    if (hostname != null && !old.id().startsWith(hostname) && !networkMode.startsWith("container:")) {
      body.put("Hostname", hostname);
    }
    for (String k : COPIED_AS_IS) {
      if (cfg.containsKey(k) && cfg.getValue(k) != null) {
        body.put(k, cfg.getValue(k));
      }
    }
    for (String k : FROM_IMAGE_IF_EQUAL) {
      Object v = cfg.getValue(k);
      if (v != null && !Objects.equals(v, img.getValue(k)) && !(v instanceof String s && s.isEmpty())) {
        body.put(k, v);
      }
    }
    body.put("Env", minus(cfg.getJsonArray("Env"), img.getJsonArray("Env")));
    body.put("Labels", minus(cfg.getJsonObject("Labels"), img.getJsonObject("Labels")));
    body.put("ExposedPorts", minus(cfg.getJsonObject("ExposedPorts"), img.getJsonObject("ExposedPorts")));
    body.put("Volumes", minus(cfg.getJsonObject("Volumes"), img.getJsonObject("Volumes")));
    JsonObject hostConfig = old.raw().getJsonObject("HostConfig", new JsonObject()).copy();
    List<String> carried = carriedVolumeBinds(old);
    if (!carried.isEmpty()) {
      JsonArray binds = hostConfig.getJsonArray("Binds") == null ? new JsonArray() : hostConfig.getJsonArray("Binds").copy();
      carried.forEach(binds::add);
      hostConfig.put("Binds", binds);
    }
    body.put("HostConfig", hostConfig);
    Map<String, JsonObject> networks = endpoints(old);
    String primary = body.getJsonObject("HostConfig").getString("NetworkMode", "default");
    Map<String, JsonObject> extra = new LinkedHashMap<>(networks);
    if (networks.containsKey(primary)) {
      body.put("NetworkingConfig", new JsonObject().put("EndpointsConfig", new JsonObject().put(primary, extra.remove(primary))));
    }
    if (primary.equals("host") || primary.startsWith("container:") || primary.equals("none")) {
      extra.clear();
    }
    return new ContainerSpec(old.name(), body, extra);
  }

  /**
   * A one-shot container in {@code image} with the old container's env, mounts, user and networks, running {@code cmd}:
   * no published ports, no restart policy, no healthcheck, no aliases and no compose labels, so it cannot be taken for
   * the service.
   */
  public static ContainerSpec oneShot(ContainerInfo old, JsonObject oldImageConfig, String image, String name,
      String deployId, String role, List<String> entrypoint, List<String> cmd) {
    ContainerSpec base = copy(old, oldImageConfig, image);
    JsonObject body = base.body();
    body.remove("Hostname");
    body.remove("Healthcheck");
    body.remove("ExposedPorts");
    body.put("Healthcheck", new JsonObject().put("Test", new JsonArray().add("NONE")));
    JsonObject labels = new JsonObject().put(LABEL_MANAGED, "true").put(LABEL_DEPLOY, deployId).put(LABEL_ROLE, role);
    body.put("Labels", labels);
    if (entrypoint != null) {
      body.put("Entrypoint", new JsonArray(List.copyOf(entrypoint)));
    }
    body.put("Cmd", new JsonArray(List.copyOf(cmd)));
    JsonObject host = body.getJsonObject("HostConfig");
    host.remove("PortBindings");
    host.put("PublishAllPorts", false);
    host.put("RestartPolicy", new JsonObject().put("Name", "no"));
    host.put("AutoRemove", false);
    JsonObject endpoints = body.getJsonObject("NetworkingConfig", new JsonObject()).getJsonObject("EndpointsConfig");
    if (endpoints != null) {
      endpoints.forEach(e -> stripEndpoint((JsonObject) e.getValue()));
    }
    Map<String, JsonObject> extra = new LinkedHashMap<>();
    base.extraNetworks().forEach((n, ep) -> extra.put(n, stripEndpoint(ep.copy())));
    return new ContainerSpec(name, body, extra);
  }

  /**
   * Anonymous volumes the engine created for the old container's image VOLUMEs. Those holding data (an operator who
   * never mounted /var/lib/odoo keeps the filestore in one) are carried over by name: a new container would get a
   * fresh empty one. Those at {@link #CODE_PATHS} are not: the new image must bring its own addons there.
   */
  static List<String> carriedVolumeBinds(ContainerInfo old) {
    List<String> out = new ArrayList<>();
    for (JsonObject m : anonymousVolumes(old)) {
      if (!CODE_PATHS.contains(m.getString("Destination"))) {
        out.add(m.getString("Name") + ":" + m.getString("Destination") + (m.getBoolean("RW", true) ? "" : ":ro"));
      }
    }
    return out;
  }

  /** The anonymous volumes of the old container that the new one does not take over: remove them with it. */
  public static List<String> discardedVolumes(ContainerInfo old) {
    List<String> out = new ArrayList<>();
    for (JsonObject m : anonymousVolumes(old)) {
      if (CODE_PATHS.contains(m.getString("Destination"))) {
        out.add(m.getString("Name"));
      }
    }
    return out;
  }

  private static List<JsonObject> anonymousVolumes(ContainerInfo old) {
    List<JsonObject> out = new ArrayList<>();
    JsonArray mounts = old.raw().getJsonArray("Mounts", new JsonArray());
    JsonArray binds = old.raw().getJsonObject("HostConfig", new JsonObject()).getJsonArray("Binds", new JsonArray());
    for (int i = 0; i < mounts.size(); i++) {
      JsonObject m = mounts.getJsonObject(i);
      String name = m.getString("Name", "");
      boolean named = binds.stream().anyMatch(b -> String.valueOf(b).startsWith(name + ":"));
      if ("volume".equals(m.getString("Type")) && name.matches("[0-9a-f]{64}") && !named) {
        out.add(m);
      }
    }
    return out;
  }

  private static JsonObject stripEndpoint(JsonObject ep) {
    ep.remove("Aliases");
    ep.remove("IPAMConfig");
    return ep;
  }

  /** The endpoint settings of each network the container is on, as they must be given at create/connect time. */
  static Map<String, JsonObject> endpoints(ContainerInfo old) {
    Map<String, JsonObject> out = new LinkedHashMap<>();
    JsonObject nets = old.raw().getJsonObject("NetworkSettings", new JsonObject()).getJsonObject("Networks", new JsonObject());
    String shortId = old.id().length() >= 12 ? old.id().substring(0, 12) : old.id();
    for (String name : nets.fieldNames()) {
      JsonObject n = nets.getJsonObject(name);
      JsonObject ep = new JsonObject();
      JsonArray aliases = new JsonArray();
      JsonArray oldAliases = n.getJsonArray("Aliases");
      if (oldAliases != null) {
        oldAliases.forEach(a -> {
          if (!shortId.equals(a) && !old.id().equals(a)) {
            aliases.add(a);
          }
        });
      }
      if (!aliases.isEmpty()) {
        ep.put("Aliases", aliases);
      }
      copyIfSet(n, ep, "IPAMConfig");
      copyIfSet(n, ep, "Links");
      copyIfSet(n, ep, "DriverOpts");
      out.put(name, ep);
    }
    return out;
  }

  private static void copyIfSet(JsonObject from, JsonObject to, String key) {
    Object v = from.getValue(key);
    if (v != null && !(v instanceof JsonObject o && o.isEmpty()) && !(v instanceof JsonArray a && a.isEmpty())) {
      to.put(key, v);
    }
  }

  private static JsonArray minus(JsonArray of, JsonArray image) {
    JsonArray out = new JsonArray();
    if (of != null) {
      of.forEach(x -> {
        if (image == null || !image.contains(x)) {
          out.add(x);
        }
      });
    }
    return out;
  }

  private static JsonObject minus(JsonObject of, JsonObject image) {
    JsonObject out = new JsonObject();
    if (of != null) {
      of.forEach(e -> {
        if (image == null || !Objects.equals(image.getValue(e.getKey()), e.getValue())) {
          out.put(e.getKey(), e.getValue());
        }
      });
    }
    return out;
  }
}
