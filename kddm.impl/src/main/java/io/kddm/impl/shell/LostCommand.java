package io.kddm.impl.shell;

import java.util.Map;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import io.kddm.api.set.SetIds;
import io.kddm.impl.core.KddmService;

/**
 * {@code kddm:lost}: the ranges rebuilt after more crashes than their family's
 * backups (row R27), whose objects nobody holds are not made anew; {@code
 * --clear SET [HOME]} accepts their loss (R28), as Ceph's {@code mark_unfound_lost}.
 */
@Component(service = LostCommand.class, property = {"osgi.command.scope=kddm", "osgi.command.function=lost"})
public final class LostCommand {
    private final KddmService kddm;

    @Activate
    public LostCommand(@Reference KddmService kddm) {
        this.kddm = kddm;
    }

    @Descriptor("the uncertain ranges known here: set, home, why (more crashes than backups came before the cluster "
            + "had restored them: an object nobody holds there may have existed, and a touch of it fails with "
            + "ObjectLostException); --clear SET [HOME] accepts the loss on every member (HOME 0 or absent: every "
            + "home of the set), so that such objects are made anew at their next touch")
    public String lost(@Parameter(names = "--clear", presentValue = "true", absentValue = "false") boolean clear,
            @Descriptor("SET [HOME], with --clear") String... args) {
        if (!clear) {
            if (args.length > 0) {
                throw new IllegalArgumentException("kddm:lost takes no argument; kddm:lost --clear SET [HOME] clears");
            }
            Map<Long, Map<Integer, String>> ranges = kddm.coherence().uncertainRanges();
            if (ranges.isEmpty()) {
                return "no uncertain range known on node " + kddm.localNode() + "\n";
            }
            Table t = new Table("SET", "HOME", "WHY");
            ranges.forEach((set, homes) -> homes.forEach((home, why) -> t.row(SetIds.format(set), home, why)));
            return t.toString();
        }
        if (args.length < 1 || args.length > 2) {
            throw new IllegalArgumentException("kddm:lost --clear SET [HOME]: a set id (NODE:LOCAL), then a home node "
                    + "id 1..255 or 0 (every home)");
        }
        long set = SetIds.parse(args[0]);
        int home;
        try {
            home = args.length == 2 ? Integer.parseInt(args[1]) : 0;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("HOME must be a node id 1..255, or 0 for every home: " + args[1]);
        }
        if (home < 0 || home > 255) {
            throw new IllegalArgumentException("HOME must be a node id 1..255, or 0 for every home: " + home);
        }
        int cleared = kddm.coherence().clearUncertain(set, home);
        return (cleared == 0 ? "no uncertain range of set " + SetIds.format(set) + " was known here; every member "
                + "was told anyway" : cleared + " uncertain range" + (cleared == 1 ? "" : "s") + " of set "
                + SetIds.format(set) + " cleared here and on every member: objects nobody holds are made anew "
                + "at their next touch") + "\n";
    }
}
