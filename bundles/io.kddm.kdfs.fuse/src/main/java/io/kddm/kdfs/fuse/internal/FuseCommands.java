package io.kddm.kdfs.fuse.internal;

import java.nio.file.Path;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** {@code kdfs:fusemount}, {@code kdfs:fuseumount}, {@code kdfs:fusestatus}: this node's FUSE mount of kDFS. */
@Component(service = FuseCommands.class, property = {"osgi.command.scope=kdfs", "osgi.command.function=fusemount",
    "osgi.command.function=fuseumount", "osgi.command.function=fusestatus"})
public final class FuseCommands {
    private final FuseMounts mounts;

    @Activate
    public FuseCommands(@Reference FuseMounts mounts) {
        this.mounts = mounts;
    }

    @Descriptor("mounts kDFS at MOUNTPOINT (an existing empty folder) through FUSE, for every program of this machine")
    public String fusemount(@Descriptor("mount point") String mountPoint) {
        return mounts.mount(Path.of(mountPoint));
    }

    @Descriptor("unmounts this node's FUSE mount of kDFS (files still open through it are written back and closed)")
    public String fuseumount() {
        return mounts.umount();
    }

    @Descriptor("where this node has mounted kDFS through FUSE, how many files are open through it, and the requests it served")
    public String fusestatus() {
        return mounts.status();
    }
}
