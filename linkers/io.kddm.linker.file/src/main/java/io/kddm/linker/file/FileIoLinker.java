package io.kddm.linker.file;

import java.nio.file.Path;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import io.kddm.api.linker.IoLinker;
import io.kddm.api.linker.SetContext;

/**
 * Objects stored as files on the node's native file system, one file per
 * object, under {@code DIR/SETID/FIRST-LAST/OBJECTID} (a thousand objects per
 * folder). Only an object's home reads and writes its file (the families that
 * use this linker first-touch at home), so each object has exactly one file in
 * the cluster. The core keeps the canonical bytes; this linker reads them on
 * first touch and writes them on {@code sync}, durably, with the version kDDM
 * gives each store in {@code OBJECTID.v} beside it.
 */
@Component(property = "kddm.linker.io=" + FileIoLinker.ID, configurationPid = FileIoLinker.PID)
@Designate(ocd = FileIoLinker.Config.class)
public final class FileIoLinker implements IoLinker {
    public static final String ID = "file";
    static final String PID = "io.kddm.linker.file";
    /** Framework property the launcher sets to the node's data folder. */
    static final String DATA_DIR = "kddm.data.dir";

    @ObjectClassDefinition(name = "kDDM file IO linker")
    public @interface Config {
        @AttributeDefinition(description = "Folder of the object files; empty: objects/ in the node's data folder "
                + "(framework property kddm.data.dir), else in the bundle's own data area", required = false)
        String directory() default "";
    }

    private final Path root;

    @Activate
    public FileIoLinker(BundleContext context, Config config) {
        this(root(context, config));
    }

    public FileIoLinker(Path root) {
        this.root = root.toAbsolutePath();
    }

    private static Path root(BundleContext context, Config config) {
        if (!config.directory().isBlank()) {
            return Path.of(config.directory());
        }
        String data = context.getProperty(DATA_DIR);
        return data != null ? Path.of(data, "objects") : context.getDataFile("objects").toPath();
    }

    @Override
    public String id() {
        return ID;
    }

    Path file(long setId, long objectId) {
        long first = objectId / 1000 * 1000;
        return root.resolve(String.format("%016x", setId)).resolve(first + "-" + (first + 999))
                .resolve(Long.toString(objectId));
    }

    /** The stored object, or a new empty one if it was never synced. */
    @Override
    public byte[] firstTouch(SetContext set, long objectId) {
        byte[] stored = ObjectFile.read(file(set.setId(), objectId), objectId);
        return stored != null ? stored : new byte[0];
    }

    @Override
    public void sync(SetContext set, long objectId, byte[] value) {
        ObjectFile.write(file(set.setId(), objectId), objectId, value);
    }

    @Override
    public void remove(SetContext set, long objectId) {
        ObjectFile.delete(file(set.setId(), objectId), objectId);
    }

    /** Beside the object, {@code OBJECTID.v}: kept when the object is removed (its removal's version). */
    Path versionFile(long setId, long objectId) {
        return file(setId, objectId).resolveSibling(objectId + ObjectFile.VERSION_SUFFIX);
    }

    @Override
    public byte[] storedVersion(SetContext set, long objectId) {
        return ObjectFile.readVersion(versionFile(set.setId(), objectId), objectId);
    }

    @Override
    public void storedAs(SetContext set, long objectId, byte[] version, boolean durable) {
        ObjectFile.writeVersion(versionFile(set.setId(), objectId), objectId, version, durable);
    }
}
