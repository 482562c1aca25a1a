package dev.odooagent.registry;

import java.util.regex.Pattern;

/** The grammar of image tags, digests and repository names, shared by every package that accepts them. */
public final class References {

    /** An OCI tag: up to 128 characters, not starting with '.' or '-'. */
    public static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");

    /** A sha256 content digest as registries and Docker print it. */
    public static final Pattern DIGEST = Pattern.compile("sha256:[a-f0-9]{64}");

    /** An OCI repository name: lowercase path components separated by '/'. */
    public static final Pattern REPOSITORY =
            Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*");

    /** A registry host name or IP address, with an optional port. */
    public static final Pattern REGISTRY_HOST = Pattern.compile(
            "(?:(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
                    + "|\\[[0-9A-Fa-f:.]+\\])(?::[0-9]{1,5})?");

    private References() {
    }

    /** Whether {@code value} is a valid tag. */
    public static boolean isTag(String value) {
        return value != null && TAG.matcher(value).matches();
    }

    /** Whether {@code value} is a valid sha256 digest. */
    public static boolean isDigest(String value) {
        return value != null && DIGEST.matcher(value).matches();
    }

    /** Whether {@code value} is a valid repository name. */
    public static boolean isRepository(String value) {
        return value != null && value.length() <= 255 && REPOSITORY.matcher(value).matches();
    }

    /** Returns {@code tag} or throws naming it and the expected form. */
    public static String requireTag(String tag) {
        if (!isTag(tag)) {
            throw new IllegalArgumentException("tag '" + tag + "' is invalid: expected 1-128 characters of"
                    + " [A-Za-z0-9_.-], not starting with '.' or '-' (e.g. v1, sha-057bb3a)");
        }
        return tag;
    }

    /** Returns {@code digest} or throws naming it and the expected form. */
    public static String requireDigest(String digest) {
        if (!isDigest(digest)) {
            throw new IllegalArgumentException("digest '" + digest + "' is invalid: expected sha256: followed by"
                    + " 64 lowercase hex characters");
        }
        return digest;
    }

    /** Returns {@code repository} or throws naming it and the expected form. */
    public static String requireRepository(String repository) {
        if (!isRepository(repository)) {
            throw new IllegalArgumentException("repository '" + repository + "' is invalid: expected lowercase"
                    + " path components of [a-z0-9] joined by '.', '_', '-' and '/' (e.g. jgtolentino/odoo-ce)");
        }
        return repository;
    }
}
