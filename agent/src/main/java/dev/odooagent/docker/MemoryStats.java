package dev.odooagent.docker;

/** A container's memory usage and limit in bytes, as the engine reports them. */
public record MemoryStats(long usageBytes, long limitBytes) {}
