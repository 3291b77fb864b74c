//! `rh-rns`: the resource naming system, local (git working dir) and remote (rh-server) (filled by issues 4 and 5).
