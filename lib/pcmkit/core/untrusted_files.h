// How pcmkit parses the HDF5 files a user hands it (measurement campaigns, network weights,
// training checkpoints): in a child process made with fork(), with limits on its memory and
// time, because Debian 12's libhdf5 can crash or allocate without end on damaged metadata; a
// child that dies becomes an InputError ("... is damaged: the HDF5 library failed reading it").
// Readers fork without exec, so call them while no other thread of the program is busy, and do
// not reap child processes behind pcmkit's back (SIGCHLD set to SIG_IGN, a waitpid(-1) loop): a
// lost child status is a RunError.
#pragma once

namespace pcmkit {

// From now on the readers parse in this process: for programs that cannot fork (MPI ranks:
// pcmkit's own MPI session calls it), reap children themselves, or trust their files. A
// damaged file can then crash the program.
void parse_untrusted_files_in_process();

}  // namespace pcmkit
