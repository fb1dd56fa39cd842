package io.kddm.impl.shell;

import java.util.Arrays;
import java.util.SplittableRandom;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import io.kddm.api.set.Kddm;
import io.kddm.api.set.KddmException;
import io.kddm.api.set.KddmSet;
import io.kddm.api.set.ObjectHandle;
import io.kddm.api.set.SetIds;

/**
 * {@code kddm:fill} and {@code kddm:verify}: many objects with contents derived
 * from their ids, written and later checked byte for byte (after a restart, a
 * linker update, a failure...).
 */
@Component(service = BulkCommands.class, property = {"osgi.command.scope=kddm", "osgi.command.function=fill",
    "osgi.command.function=verify"})
public final class BulkCommands {
    private final Kddm kddm;

    @Activate
    public BulkCommands(@Reference Kddm kddm) {
        this.kddm = kddm;
    }

    /** The contents of object {@code id} for a {@code seed}: {@code size} bytes. */
    static byte[] contents(long id, int seed, int size) {
        byte[] b = new byte[size];
        new SplittableRandom(id * 0x9E3779B97F4A7C15L + seed).nextBytes(b);
        return b;
    }

    /** Largest --size: bigger objects than any family takes, not so big that the shell runs out of memory. */
    private static final int MAX_SIZE = 16 * 1024 * 1024;

    private static void check(long first, long count, int size) {
        if (first < 0 || first > KddmSet.MAX_OBJECT_ID || count < 1 || count > KddmSet.MAX_OBJECT_ID - first + 1) {
            throw new IllegalArgumentException("FIRST must be in 0.." + KddmSet.MAX_OBJECT_ID
                    + " and COUNT at least 1, with every object id in that range");
        }
        if (size < 0 || size > MAX_SIZE) {
            throw new IllegalArgumentException("--size must be 0.." + MAX_SIZE + " bytes");
        }
    }

    @Descriptor("grabs objects FIRST..FIRST+COUNT-1 and sets each to SIZE bytes derived from its id and the seed; "
            + "--sync writes each back through its IO linker")
    public String fill(@Parameter(names = {"-s", "--size"}, absentValue = "64") int size,
            @Parameter(names = "--seed", absentValue = "0") int seed,
            @Parameter(names = "--sync", presentValue = "true", absentValue = "false") boolean sync,
            @Descriptor("set id, NODE:NUMBER") String set, @Descriptor("first object id") long first,
            @Descriptor("how many objects") long count) {
        check(first, count, size);
        KddmSet s = kddm.lookup(SetIds.parse(set));
        for (long id = first; id < first + count; id++) {
            try (ObjectHandle h = s.grab(id)) {
                h.value(contents(id, seed, size));
            }
            if (sync) {
                s.sync(id);
            }
        }
        return "filled " + count + " objects" + (sync ? ", synced" : "");
    }

    @Descriptor("gets objects FIRST..FIRST+COUNT-1 and checks each against what kddm:fill wrote; fails if any differs")
    public String verify(@Parameter(names = {"-s", "--size"}, absentValue = "64") int size,
            @Parameter(names = "--seed", absentValue = "0") int seed,
            @Descriptor("set id, NODE:NUMBER") String set, @Descriptor("first object id") long first,
            @Descriptor("how many objects") long count) {
        check(first, count, size);
        KddmSet s = kddm.lookup(SetIds.parse(set));
        long differ = 0;
        long firstBad = -1;
        for (long id = first; id < first + count; id++) {
            try (ObjectHandle h = s.get(id)) {
                if (!Arrays.equals(h.value(), contents(id, seed, size))) {
                    differ++;
                    firstBad = firstBad < 0 ? id : firstBad;
                }
            }
        }
        if (differ > 0) {
            throw new KddmException(differ + " of " + count + " objects differ from what was filled, the first is "
                    + firstBad);
        }
        return "verified " + count + " objects, all identical";
    }
}
