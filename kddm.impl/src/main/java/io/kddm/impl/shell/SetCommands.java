package io.kddm.impl.shell;

import java.util.stream.Collectors;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import io.kddm.api.linker.SetFamily;
import io.kddm.api.set.KddmSet;
import io.kddm.api.set.SetIds;
import io.kddm.api.set.SetInfo;
import io.kddm.impl.core.KddmService;

/**
 * {@code kddm:sets}, {@code kddm:objects}, {@code kddm:families}, {@code kddm:create},
 * {@code kddm:open}, {@code kddm:destroy}.
 */
@Component(service = SetCommands.class, property = {"osgi.command.scope=kddm", "osgi.command.function=sets",
    "osgi.command.function=objects", "osgi.command.function=families", "osgi.command.function=create",
    "osgi.command.function=destroy", "osgi.command.function=open"})
public final class SetCommands {
    private final KddmService kddm;

    @Activate
    public SetCommands(@Reference KddmService kddm) {
        this.kddm = kddm;
    }

    @Descriptor("lists the sets this node knows: id, family, IO linker, home nodes, objects and bytes held here")
    public String sets() {
        Table t = new Table("SET", "FAMILY", "LINKER", "HOMES", "OBJECTS-HERE", "BYTES-HERE");
        for (SetInfo s : kddm.sets()) {
            t.row(SetIds.format(s.id()), s.family(), s.ioLinker(),
                    s.nodes().stream().map(String::valueOf).collect(Collectors.joining(",")), s.objects(), s.bytes());
        }
        return t.toString();
    }

    @Descriptor("lists the objects of a set held or homed on this node: state, owner, copyset, lock holders")
    public String objects(@Descriptor("set id, NODE:NUMBER") String set) {
        Table t = new Table("OBJECT", "STATE", "BYTES", "HOME", "OWNER(at home)", "COPYSET", "READERS",
                "WRITERS", "QUEUED");
        for (KddmService.ObjectView o : kddm.objects(SetIds.parse(set))) {
            t.row(o.objectId(), o.state(), o.bytes(), o.home(), o.owner() < 0 ? "-" : o.owner(),
                    o.copyset(), o.readers(), o.writers(), o.queued());
        }
        return t.toString();
    }

    @Descriptor("lists the set families registered on this node")
    public String families() {
        Table t = new Table("FAMILY", "LINKER", "HOME", "MAX-BYTES", "FIRST-TOUCH-AT-HOME", "LOCAL-EXCLUSION");
        for (SetFamily f : kddm.families()) {
            t.row(f.name(), f.ioLinker(), f.home(), f.maxObjectSize(), f.firstTouchAtHome(), f.localExclusion());
        }
        return t.toString();
    }

    @Descriptor("creates a set of a family on every node that is up; returns its id")
    public String create(@Descriptor("family name, e.g. demo") String family) {
        KddmSet s = kddm.create(family);
        return SetIds.format(s.id());
    }

    @Descriptor("opens the well-known set ID (node bits 0, e.g. 0:7) of a family on this node, as every node may; "
            + "returns its id")
    public String open(@Descriptor("set id, 0:NUMBER") String set, @Descriptor("family name, e.g. file") String family) {
        return SetIds.format(kddm.wellKnown(SetIds.parse(set), family).id());
    }

    @Descriptor("destroys a set on every node that is up (its objects are dropped)")
    public String destroy(@Descriptor("set id, NODE:NUMBER") String set) {
        kddm.destroy(SetIds.parse(set));
        return "destroyed " + set;
    }
}
