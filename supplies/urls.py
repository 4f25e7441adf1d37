from django.urls import path

from supplies import views

app_name = "supplies"

urlpatterns = [
    path("orders/", views.OrderListView.as_view(), name="order_list"),
    path("orders/<str:number>/", views.OrderDetailView.as_view(), name="order_detail"),
    path("order/", views.OrderStartView.as_view(), name="order_start"),
    path("order/<int:pk>/", views.OrderDeviceView.as_view(), name="order_device"),
    path("cart/", views.CartView.as_view(), name="cart"),
    path("checkout/", views.CheckoutView.as_view(), name="checkout"),
    path("report/", views.SupplyReportView.as_view(), name="supply_report"),
]
