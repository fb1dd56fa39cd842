package io.kddm.impl.shell;

import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
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

    @Descriptor("lists the sets usable on this node (their family is registered here): id, family, IO linker, "
            + "home nodes, objects and bytes held here; --all also lists those whose family is not (kept, unusable "
            + "until it comes back)")
    public String sets(@Parameter(names = "--all", presentValue = "true", absentValue = "false") boolean all) {
        Set<String> families = kddm.families().stream().map(SetFamily::name).collect(Collectors.toSet());
        Table t = new Table("SET", "FAMILY", "LINKER", "HOMES", "OBJECTS-HERE", "BYTES-HERE");
        int hidden = 0;
        for (SetInfo s : kddm.sets()) {
            boolean usable = families.contains(s.family());
            if (usable || all) {
                t.row(SetIds.format(s.id()), usable ? s.family() : s.family() + " (not registered)", s.ioLinker(),
                        s.nodes().stream().map(String::valueOf).collect(Collectors.joining(",")), s.objects(),
                        s.bytes());
            } else {
                hidden++;
            }
        }
        return t + (hidden == 0 ? "" : hidden + (hidden == 1 ? " set" : " sets")
                + " of families not registered here not shown (kddm:sets --all)\n");
    }

    @Descriptor("lists the objects of a set held or homed on this node: their state here (Kerrighed's names, "
            + "INV_COPY, READ_COPY, WRITE_OWNER, WAIT_OBJ_READ, ...), copyset and lock holders; where this node is "
            + "their home, the state there (NO_OWNER, OWNED, FORWARDED, ...) and the owner")
    public String objects(@Descriptor("set id, NODE:NUMBER") String set) {
        Table t = new Table("OBJECT", "STATE", "BYTES", "VERSION", "COPYSET", "READERS", "WRITERS", "QUEUED",
                "HOME", "AT-HOME", "OWNER");
        for (KddmService.ObjectView o : kddm.objects(SetIds.parse(set))) {
            boolean homedHere = o.homeState() != null;
            t.row(o.objectId(), o.state(), o.bytes(), o.version(), o.copyset(), o.readers(), o.writers(), o.queued(),
                    o.home(),
                    homedHere ? o.homeState() : "-", homedHere && o.owner() > 0 ? o.owner() : "-");
        }
        return t.toString();
    }

    @Descriptor("lists the set families registered on this node")
    public String families() {
        Table t = new Table("FAMILY", "LINKER", "HOME", "MAX-BYTES", "FIRST-TOUCH-AT-HOME", "LOCAL-EXCLUSION",
                "BACKUPS");
        Map<String, Integer> overrides = kddm.coherence().backupOverrides();
        for (SetFamily f : kddm.families()) {
            t.row(f.name(), f.ioLinker(), f.home(), f.maxObjectSize(), f.firstTouchAtHome(), f.localExclusion(),
                    overrides.getOrDefault(f.name(), f.backups()));
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
