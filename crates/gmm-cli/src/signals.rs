//! SIGINT and SIGTERM: the temporary files of the outputs being written are removed before
//! the process ends (exit status 130 / 143). A signal ends a process without running
//! destructors, so the temporary files' own removal on drop never happens otherwise.
//!
//! The two signals are blocked in every thread (threads started later inherit the mask)
//! and one thread waits for them with `sigwait`: the removal runs as ordinary code, not in
//! an asynchronous signal handler, so it may take the registry's lock.

/// Installs the handling; call it first thing in `main`, before any thread starts.
#[cfg(unix)]
pub fn install() {
    // SAFETY: sigset_t is plain data initialised by sigemptyset; the calls only read and
    // write that set and the calling thread's signal mask.
    let set = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        if libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) != 0 {
            return;
        }
        set
    };
    let waiter = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            loop {
                let mut signal = 0;
                // SAFETY: sigwait reads the set and writes the signal number.
                if unsafe { libc::sigwait(&set, &mut signal) } == 0 {
                    // held until the end: no writer moves a file into place after this
                    let _registry = gmm_io::remove_temporaries();
                    // SAFETY: _exit ends the process at once, running nothing else.
                    unsafe { libc::_exit(128 + signal) };
                }
            }
        });
    if waiter.is_err() {
        // no thread to wait: give the signals their default action back
        // SAFETY: as above, on the calling thread's mask.
        unsafe { libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut()) };
    }
}

/// Signals keep their default action where there is no POSIX signal mask.
#[cfg(not(unix))]
pub fn install() {}
