from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone

from yingdu.accounts.models import STAFF_ROLES, Role
from yingdu.accounts.permissions import role_required
from yingdu.enterprises.selectors import enterprise_of_user
from yingdu.errors import DomainError

from . import selectors, services
from .forms import WorkDeclareForm


@role_required(Role.ENTERPRISE_MEMBER, *STAFF_ROLES)
def work_list(request):
    return render(request, "works/list.html", {"works": selectors.works_visible_to(request.user)[:200]})


@role_required(Role.ENTERPRISE_MEMBER)
def work_declare(request):
    enterprise = enterprise_of_user(request.user)
    form = WorkDeclareForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.work_declare(enterprise=enterprise, actor=request.user, now=timezone.now(), **form.cleaned_data)
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error.message))
        else:
            messages.success(request, "作品已登记。算力服务商可按项目标签上报用量。")
            return redirect("works:list")
    return render(request, "works/declare.html", {"form": form, "enterprise": enterprise})
