package io.kddm.impl.shell;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.Bundle;
import org.osgi.framework.FrameworkUtil;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import io.kddm.api.set.SetIds;
import io.kddm.impl.core.KddmService;

/** {@code kddm:linkers}: which bundle, in which version, serves each linker, and the sets that use it. */
@Component(service = LinkerCommands.class, property = {"osgi.command.scope=kddm",
    "osgi.command.function=linkers"})
public final class LinkerCommands {
    private final KddmService kddm;

    @Activate
    public LinkerCommands(@Reference KddmService kddm) {
        this.kddm = kddm;
    }

    private static String bundle(Object service) {
        Bundle b = FrameworkUtil.getBundle(service.getClass());
        return b == null ? "-" : b.getSymbolicName() + " " + b.getVersion();
    }

    @Descriptor("lists the IO and interface linkers registered here: bundle and version, and the sets using them")
    public String linkers() {
        Table t = new Table("KIND", "LINKER", "BUNDLE", "SETS");
        Map<String, List<Long>> sets = kddm.setsByIoLinker();
        new TreeMap<>(kddm.ioLinkers()).forEach((id, l) -> t.row("io", id, bundle(l),
                sets.getOrDefault(id, List.of()).stream().sorted(Long::compareUnsigned).map(SetIds::format)
                        .collect(Collectors.joining(",")).transform(x -> x.isEmpty() ? "-" : x)));
        new TreeMap<>(kddm.interfaceLinkers()).forEach((name, l) -> t.row("interface", name, bundle(l), "any"));
        return t.toString();
    }
}
