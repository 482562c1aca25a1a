package dev.odooagent.registry;

import java.util.Objects;

/**
 * An image reference such as {@code ghcr.io/jgtolentino/odoo-ce:v1} or {@code 127.0.0.1:5000/jgtolentino/odoo-ce@sha256:…}.
 *
 * @param registryHost host name or address, with an optional port ({@code docker.io} when the reference names none)
 * @param repository   repository path inside the registry
 * @param tag          tag, or null
 * @param digest       sha256 digest, or null
 */
public record ImageRef(String registryHost, String repository, String tag, String digest) {

    /** The registry Docker assumes when a reference names no host. */
    public static final String DEFAULT_REGISTRY = "docker.io";

    /** Validates every part; a null tag or digest means "not given". */
    public ImageRef {
        Objects.requireNonNull(registryHost, "registryHost");
        Objects.requireNonNull(repository, "repository");
        if (!References.REGISTRY_HOST.matcher(registryHost).matches()) {
            throw new IllegalArgumentException("registry host '" + registryHost + "' is invalid: expected a host name"
                    + " or address with an optional port (e.g. ghcr.io, 127.0.0.1:5000)");
        }
        References.requireRepository(repository);
        if (tag != null) {
            References.requireTag(tag);
        }
        if (digest != null) {
            References.requireDigest(digest);
        }
    }

    /** Parses {@code host/repository[:tag][@sha256:…]}, applying Docker's defaults for a reference without a host. */
    public static ImageRef parse(String reference) {
        if (reference == null || reference.isBlank()) {
            throw new IllegalArgumentException("image reference is empty: expected host/repository[:tag][@sha256:…]"
                    + " (e.g. ghcr.io/jgtolentino/odoo-ce:latest)");
        }
        try {
            String rest = reference;
            String digest = null;
            int at = rest.indexOf('@');
            if (at >= 0) {
                digest = rest.substring(at + 1);
                rest = rest.substring(0, at);
            }
            String tag = null;
            int colon = rest.lastIndexOf(':');
            if (colon > rest.lastIndexOf('/')) {
                tag = rest.substring(colon + 1);
                rest = rest.substring(0, colon);
            }
            String host = DEFAULT_REGISTRY;
            String repository = rest;
            int slash = rest.indexOf('/');
            if (slash > 0 && looksLikeHost(rest.substring(0, slash))) {
                host = rest.substring(0, slash);
                repository = rest.substring(slash + 1);
            } else if (slash < 0) {
                repository = "library/" + rest;
            }
            return new ImageRef(host, repository, tag, digest);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("image reference '" + reference + "': " + e.getMessage(), e);
        }
    }

    private static boolean looksLikeHost(String component) {
        return component.contains(".") || component.contains(":") || component.equals("localhost");
    }

    /** A copy pinned to {@code digest}, keeping the tag it was resolved from. */
    public ImageRef withDigest(String digest) {
        return new ImageRef(registryHost, repository, tag, References.requireDigest(digest));
    }

    /** A copy naming {@code tag}; the digest is dropped because it belonged to the previous tag. */
    public ImageRef withTag(String tag) {
        return new ImageRef(registryHost, repository, References.requireTag(tag), null);
    }

    /** {@code host/repository} without tag or digest. */
    public String name() {
        return registryHost + "/" + repository;
    }

    /** What to ask the registry for: the digest when set, else the tag, else {@code latest}. */
    public String reference() {
        if (digest != null) {
            return digest;
        }
        return tag != null ? tag : "latest";
    }

    /** The canonical form: {@code host/repository@digest} when pinned, else {@code host/repository:tag}. */
    @Override
    public String toString() {
        if (digest != null) {
            return name() + "@" + digest;
        }
        return tag != null ? name() + ":" + tag : name();
    }
}
