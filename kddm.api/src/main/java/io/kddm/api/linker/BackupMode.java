package io.kddm.api.linker;

/** When a put of an object with backups returns ({@link SetFamily#backups()}). */
public enum BackupMode {
    /** Once every backup acknowledged the new value. */
    SYNC,
    /**
     * At once; no other node is served the object until every backup
     * acknowledged, so that only the writer's own node can have seen a value its
     * crash loses (and it died with it).
     */
    VISIBLE
}
