package io.kddm.impl.shell;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import io.kddm.api.set.SetIds;
import io.kddm.impl.core.KddmService;

/**
 * {@code kddm:lost}: the homes whose acting home crashed while more than one
 * crash was not recovered from (row R27): in the sets whose families keep fewer
 * backups, an object nobody holds there is not made anew. {@code --clear SET
 * [HOME]} accepts the loss (R28), as Ceph's {@code mark_unfound_lost}.
 */
@Component(service = LostCommand.class, property = {"osgi.command.scope=kddm", "osgi.command.function=lost"})
public final class LostCommand {
    private final KddmService kddm;

    @Activate
    public LostCommand(@Reference KddmService kddm) {
        this.kddm = kddm;
    }

    @Descriptor("the homes marked here: more crashes came than the cluster had recovered from, and the node acting "
            + "for that home was one of them; in a set whose family keeps fewer backups than those crashes, an object "
            + "nobody holds there may have existed, and a touch of it fails with ObjectLostException. --clear SET "
            + "[HOME] accepts the loss in that set on every member (HOME 0 or absent: every home), so that such "
            + "objects are made anew at their next touch")
    public String lost(@Parameter(names = "--clear", presentValue = "true", absentValue = "false") boolean clear,
            @Descriptor("SET [HOME], with --clear") String... args) {
        if (!clear) {
            if (args.length > 0) {
                throw new IllegalArgumentException("kddm:lost takes no argument; kddm:lost --clear SET [HOME] clears");
            }
            var homes = kddm.coherence().uncertainHomes();
            StringBuilder out = new StringBuilder();
            if (homes.isEmpty()) {
                out.append("no home marked on node ").append(kddm.localNode()).append('\n');
            } else {
                Table t = new Table("HOME", "MARKED");
                homes.forEach(t::row);
                out.append(t);
            }
            int lostObjects = kddm.coherence().lostObjects();
            if (lostObjects > 0) {
                out.append(lostObjects).append(" object").append(lostObjects == 1 ? "" : "s")
                        .append(" found lost, known here: they stay lost wherever their home moves\n");
            }
            var clears = kddm.coherence().clearedSets();
            if (!clears.isEmpty()) {
                Table t = new Table("CLEARED SET", "HOME", "AS OF VIEW");
                clears.forEach((set, byHome) -> byHome.forEach((home, epoch) -> t.row(SetIds.format(set),
                        home == 0 ? "every" : String.valueOf(home), epoch)));
                out.append(t);
            }
            return out.toString();
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
        kddm.coherence().clearUncertain(set, home);
        return "set " + SetIds.format(set) + (home == 0 ? ", every home," : ", home " + home + ",")
                + " cleared here and on every member: objects nobody holds there are made anew at their next touch\n";
    }
}
