//! Starts the Couponry server: config → database → router → serve.

// The dashboard's view types are deep: laying them out in an optimized build of this crate
// needs more than the default 128 (the library says the same for itself).
#![recursion_limit = "256"]

#[tokio::main]
async fn main() {
    use couponry::{config::Config, startup};
    use leptos::prelude::get_configuration;

    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();

    let leptos_conf = match get_configuration(None) {
        Ok(conf) => conf,
        Err(e) => {
            eprintln!("couponry: cannot read the Leptos configuration: {e}");
            std::process::exit(1);
        }
    };
    let mut options = leptos_conf.leptos_options;
    // `cargo leptos build` names the site's files after their content and writes the names to
    // `hash.txt` beside this binary: use them unless told otherwise.
    if std::env::var_os("LEPTOS_HASH_FILES").is_none() {
        let beside = std::env::current_exe().ok().and_then(|exe| exe.parent().map(|dir| dir.join(&*options.hash_file)));
        options.hash_files = beside.is_some_and(|file| file.exists());
    }
    let addr = options.site_addr;
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("couponry: {e}");
            std::process::exit(2);
        }
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--new-api-key") {
        new_api_key(&config, args.get(i + 1).map_or("automation", String::as_str)).await;
        return;
    }
    if args.iter().any(|a| a == "--demo") {
        demo(&config).await;
    }
    couponry::serve::raise_open_files_limit();
    let header_timeout = config.header_timeout;
    let built = match startup::build(config, options).await {
        Ok(built) => built,
        Err(e) => {
            eprintln!("couponry: {e}");
            std::process::exit(1);
        }
    };
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("couponry: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    println!("Couponry is running on http://{addr}");
    if let Some(first) = &built.first_login {
        println!("First login at http://{addr}/login — email: {}  password: {}", first.email, first.password);
        if !first.password.starts_with('(') {
            println!("(this generated password is shown once: keep it, or add accounts on the Accounts page)");
        }
    }
    couponry::serve::serve(listener, built.router.clone(), header_timeout, couponry::serve::stop_signal()).await;
    built.stopped().await;
    println!("Couponry stopped");
}

/// `--demo`: fills a database that has no coupons yet with three months of a small shop.
async fn demo(config: &couponry::config::Config) {
    let db = match couponry::db::Db::connect(&config.database_url, config.max_connections).await {
        Ok(db) => db,
        Err(e) => {
            eprintln!("couponry: cannot open the database: {e}");
            std::process::exit(1);
        }
    };
    println!("Filling the database with demo data (about a minute)…");
    match couponry::analytics::demo::fill(&db, chrono::Utc::now()).await {
        Ok(Some(f)) => println!(
            "Demo data: {} users, {} coupons, {} redemptions, {} reversed.",
            f.users, f.coupons, f.redemptions, f.reversals
        ),
        Ok(None) => println!("The database already has coupons: no demo data added."),
        Err(e) => {
            eprintln!("couponry: demo data failed: {e}");
            std::process::exit(1);
        }
    }
}

/// `--new-api-key NAME`: creates an API key with every scope (in the audit log as the system),
/// prints its secret and exits: for provisioning scripts and the fuzz run.
async fn new_api_key(config: &couponry::config::Config, name: &str) {
    use couponry::accounts::keys::{store, Scope};
    let db = match couponry::db::Db::connect(&config.database_url, 1).await {
        Ok(db) => db,
        Err(e) => {
            eprintln!("couponry: cannot open the database: {e}");
            std::process::exit(1);
        }
    };
    let actor = couponry::accounts::audit::Actor::system();
    match store::create(&db, &actor, name, &[Scope::Checkout, Scope::Manage]).await {
        Ok((_, secret)) => println!("{secret}"),
        Err(e) => {
            eprintln!("couponry: cannot create the key: {e}");
            std::process::exit(1);
        }
    }
}
