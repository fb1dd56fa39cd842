package io.kddm.impl.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

class CoreSettingsTest {

    @Test
    void backupsPerFamilyAreReadFromTheirOwnKeys() {
        assertEquals(Map.of("demo", 1, "file", 0), CoreSettings.backups(Map.of("backups.demo", "1",
                "backups.file", 0, "operation.timeout.ms", 30000L, "service.pid", "io.kddm.core")));
        assertEquals(Map.of(), CoreSettings.backups(Map.of()));
    }

    @Test
    void minimumCopiesPerFamilyAreFromOneToSeven() {
        assertEquals(Map.of("demo", 2), CoreSettings.minCopies(Map.of("min.copies.demo", "2", "backups.demo", "2")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CoreSettings.minCopies(Map.of("min.copies.demo", "0")));
        assertTrue(e.getMessage().contains("from 1 to 7"), e.getMessage());
    }

    @Test
    void aBackupCountThatIsNotOneIsRefusedSayingWhy() {
        for (Object bad : new Object[] {"-1", "7", "one", ""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> CoreSettings.backups(Map.of("backups.demo", bad)));
            assertTrue(e.getMessage().contains("backups.demo=" + bad) && e.getMessage().contains("0 to 6"),
                    e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> CoreSettings.backups(Map.of("backups.", "1")));
    }
}
