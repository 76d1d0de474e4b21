//! `loopback-floor`: what one small TCP write to each of N loopback sockets costs the
//! writing core, with nothing of hoithi in the way. It is the floor under the server's
//! fan-out on this machine (see BENCHMARKS.md): run the writer and the reader on separate
//! cores, as the benchmark runs the server and the generator.
//!
//!   taskset -c 0 loopback-floor write 10000 400 &   # listens on 127.0.0.1:18999
//!   taskset -c 1 loopback-floor read 10000 400
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::time::{Duration, Instant};

const ADDR: &str = "127.0.0.1:18999";
const ROUNDS: usize = 8;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(role), Some(n), Some(size)) = (
        args.get(1),
        args.get(2).and_then(|s| s.parse::<usize>().ok()),
        args.get(3).and_then(|s| s.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: loopback-floor write|read SOCKETS BYTES");
        return ExitCode::from(2);
    };
    let r = match role.as_str() {
        "write" => write(n, size),
        "read" => read(n, size),
        _ => Err(std::io::Error::other("the role is write or read")),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("loopback-floor: {e}");
            ExitCode::FAILURE
        }
    }
}

fn write(n: usize, size: usize) -> std::io::Result<()> {
    let l = TcpListener::bind(ADDR)?;
    let mut socks = Vec::with_capacity(n);
    for _ in 0..n {
        let (s, _) = l.accept()?;
        s.set_nodelay(true)?;
        socks.push(s);
    }
    let msg = vec![b'x'; size];
    let mut per = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        std::thread::sleep(Duration::from_millis(300));
        let t = Instant::now();
        for s in &mut socks {
            s.write_all(&msg)?;
        }
        per.push(t.elapsed().as_secs_f64() * 1e6 / n as f64);
    }
    per.sort_by(f64::total_cmp);
    println!(
        "{{\"sockets\":{n},\"bytes\":{size},\"us_per_write_min\":{:.2},\"us_per_write_median\":{:.2},\"us_per_write_max\":{:.2}}}",
        per[0],
        per[ROUNDS / 2],
        per[ROUNDS - 1]
    );
    Ok(())
}

fn read(n: usize, size: usize) -> std::io::Result<()> {
    let mut socks = Vec::with_capacity(n);
    for _ in 0..n {
        socks.push(TcpStream::connect(ADDR)?);
    }
    let mut buf = vec![0u8; size.max(4096)];
    for _ in 0..ROUNDS {
        for s in &mut socks {
            let mut got = 0;
            while got < size {
                match s.read(&mut buf)? {
                    0 => return Ok(()),
                    k => got += k,
                }
            }
        }
    }
    Ok(())
}
