//! The HTML shell, the routes, and the dashboard layout.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::{path, SsrMode};

use crate::accounts::keys::pages::ApiKeysPage;
use crate::accounts::pages::{AccountsPage, AuditPage, LoginPage};
use crate::analytics::pages::{AnalyticsPage, CouponAnalyticsPage};
use crate::audience::campaigns::pages::{CampaignListPage, CampaignPage, NewCampaignPage};
use crate::audience::segments::pages::{SegmentListPage, SegmentPage};
use crate::audience::users::pages::UsersPage;
use crate::codes::pages::upload::UploadPage;
use crate::codes::pages::{BatchesPage, CouponCodesPage};
use crate::components::layout::{Dashboard, FramedNotFound};
use crate::coupons::pages::{builder::CouponBuilderPage, detail::CouponDetailPage, list::CouponListPage};
use crate::redemption::try_panel::TryPage;
use crate::reference::pages::ApiReferencePage;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                // The build names the stylesheet after its content (see `ops::caching`).
                <HashedStylesheet options=options.clone() id="leptos" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Async SSR: pages wait for their data, so redirects and 404 statuses reach the response.
    view! {
        <Title formatter=|page: String| format!("{page} · Couponry") />
        <Router>
            <Routes fallback=FramedNotFound>
                <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                <ParentRoute path=path!("") view=Dashboard ssr=SsrMode::Async>
                    <Route path=path!("") view=|| view! { <Redirect path="/coupons" /> } ssr=SsrMode::Async />
                    <Route path=path!("coupons") view=CouponListPage ssr=SsrMode::Async />
                    <Route path=path!("coupons/new") view=CouponBuilderPage ssr=SsrMode::Async />
                    <Route path=path!("coupons/:id") view=CouponDetailPage ssr=SsrMode::Async />
                    <Route path=path!("coupons/:id/edit") view=CouponBuilderPage ssr=SsrMode::Async />
                    <Route path=path!("coupons/:id/try") view=TryPage ssr=SsrMode::Async />
                    <Route path=path!("coupons/:id/analytics") view=CouponAnalyticsPage ssr=SsrMode::Async />
                    <Route path=path!("analytics") view=AnalyticsPage ssr=SsrMode::Async />
                    <Route path=path!("coupons/:id/codes") view=CouponCodesPage ssr=SsrMode::Async />
                    <Route path=path!("coupons/:id/codes/upload") view=UploadPage ssr=SsrMode::Async />
                    <Route path=path!("codes") view=BatchesPage ssr=SsrMode::Async />
                    <Route path=path!("accounts") view=AccountsPage ssr=SsrMode::Async />
                    <Route path=path!("audit") view=AuditPage ssr=SsrMode::Async />
                    <Route path=path!("api-keys") view=ApiKeysPage ssr=SsrMode::Async />
                    <Route path=path!("users") view=UsersPage ssr=SsrMode::Async />
                    <Route path=path!("campaigns") view=CampaignListPage ssr=SsrMode::Async />
                    <Route path=path!("campaigns/new") view=NewCampaignPage ssr=SsrMode::Async />
                    <Route path=path!("campaigns/:id") view=CampaignPage ssr=SsrMode::Async />
                    <Route path=path!("segments") view=SegmentListPage ssr=SsrMode::Async />
                    <Route path=path!("segments/new") view=SegmentPage ssr=SsrMode::Async />
                    <Route path=path!("segments/:id") view=SegmentPage ssr=SsrMode::Async />
                    <Route path=path!("api") view=ApiReferencePage ssr=SsrMode::Async />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
